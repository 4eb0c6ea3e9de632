"""Case-management imports: Annex A and SSDA903 exports in, the standard indicators out."""
