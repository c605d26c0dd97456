"""Simplified Chinese amounts as Chinese finance writes them: a comma every three digits
(1,234,567.50). Django's own zh_Hans formats leave the thousands separator empty, so amounts read
as 1234567.50; everything else (dates, the decimal point) stays Django's."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
