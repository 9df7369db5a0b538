"""`make bench`: Minyi's performance and cost numbers, measured in one run on this machine.

It opens with issue 8's four targets (measured, target, pass/fail), then the detail by concern:

- `startup`: fresh clone to `/openapi.json` (runtime start + the recorded install time);
- `cold_start`: each handler module's import time against a bare `import boto3`;
- `throughput`: local API submits at 4 clients, and moto's cost operation by operation;
- `cases`: AWS operations, Step Functions transitions and cost per case, by lifecycle path
  (with `meters`: the botocore and Lambda meters the counts come from);
- `suggestions`: POST /v1/intake/suggestions through the local API, its latency and DynamoDB reads
  (issue 18; `intake`: the topic model's accuracy and the duplicate flags);
- `sms`, `sweep`, `stats`: the notice pipeline, the escalation sweep and the stats query on
  in-process moto (`embedded`);
- `report`: tables, formats and the verdict.

`python -m scripts.bench --quick` (`make bench QUICK=1`) runs fewer and smaller samples.
"""
