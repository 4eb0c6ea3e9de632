"""Case-management imports: Annex A and SSDA903 exports in, the standard indicators out."""

from services.kpis.imports.allocator import configure

# before any module of this package loads polars (allocator.py says why)
configure()
