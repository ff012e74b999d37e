"""The retry policy of the steps that touch files another system may hold for a moment (a landing share that
hiccups, a file briefly locked by a backup or a virus scanner): the working copy, the landing load, the publish.

Two retries, 5 s and then 10 s after a failure: a step that fails three times fails the run, and `opsready run`
names the step and its cause in one line. A failure an asset raises on purpose (`dagster.Failure` with
`allow_retries=False`: bad input, an integrity problem) is not retried, nor is the dbt build (a failing test fails
again) or the report build (its own timeout bounds it).
"""

import dagster as dg

TRANSIENT_RETRY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL)
