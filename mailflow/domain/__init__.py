"""The pure core: values, the lifecycle table, rules. No I/O, no clock, no logging."""
