"""Reporting views: each turns domain events into rows of its tables in the `reporting` schema,
and answers read queries over them; BI tools read them through stable `v1_` views."""
