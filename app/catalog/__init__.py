"""The services a business sells: names, aliases, prices, durations; matching a job description to one."""
