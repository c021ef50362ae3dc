"""What aiwf-ci writes while it works, as opposed to the reports it renders at the end.

Modules:
    progress    live progress lines and ``::group::`` blocks of a run, and the final table
    calibration  the table and the sentences ``aiwf-ci calibrate`` prints
    workflow    GitHub Actions workflow commands and file commands, escaped
"""
