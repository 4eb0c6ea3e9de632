"""Re-referrals from the import's own history (12-month window) and from the export's flag."""

from __future__ import annotations

from tests.kpis_imports.conftest import ImportsApi
from tests.kpis_imports.helpers import csv_bytes, referral_rows


async def test_rereferrals_within_twelve_months(api: ImportsApi) -> None:
    rows = referral_rows(
        {"Child Unique ID": "A", "Date of Referral": "01/10/2020"},
        {"Child Unique ID": "A", "Date of Referral": "01/03/2021"},  # 5 months: re-referral
        {"Child Unique ID": "B", "Date of Referral": "01/09/2019"},
        {"Child Unique ID": "B", "Date of Referral": "02/09/2020"},  # 12 months + 1 day: not
        {"Child Unique ID": "D", "Date of Referral": "05/03/2020"},
        {"Child Unique ID": "D", "Date of Referral": "05/03/2021"},  # exactly 12 months: is
        {"Child Unique ID": "E", "Date of Referral": "10/03/2021"},  # first, but the export
        count=7,
    )
    rows[6]["Number of Referrals in Last 12 Months"] = "1"  # says there was one before
    response = await api.upload("annex_a", [("r.csv", csv_bytes(rows))])
    job_id = response.json()["id"]
    assert (await api.job(job_id))["status"] == "succeeded"
    values = {
        (v["indicator_code"], v["period_type"], v["period_end"]): v
        for v in await api.values(job_id)
        if v["org_unit_code"] == "LA"
    }
    march = values[("RE_REFERRALS", "month", "2021-03-31")]
    assert (march["numerator"], march["denominator"]) == (3, 3)
    september = values[("RE_REFERRALS", "month", "2020-09-30")]
    assert (september["numerator"], september["denominator"]) == (0, 1)
    october = values[("RE_REFERRALS", "month", "2020-10-31")]
    assert (october["numerator"], october["denominator"]) == (0, 1)
    year_to_date = values[("RE_REFERRALS", "ytd", "2021-03-31")]
    assert (year_to_date["numerator"], year_to_date["denominator"]) == (3, 5)
