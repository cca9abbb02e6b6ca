"""How close the mock runner is to the real Pulumi CLI and providers: every rule it enforces, with its source.

The mock engine (`tools.engine`) runs our program without the CLI, the providers or MinIO. Whatever those would
refuse, this module refuses too, so that a test, `make plan`, the policy check and the plan diff fail where
`pulumi preview`/`up` would:

1. The CLI reads project and stack files (pulumi/pulumi v3.259.0, the newest tag in our mirror; we pin 3.272):
   YAML as gopkg.in/yaml.v3 decodes it, `Pulumi.yaml`'s `config:` declarations validated and applied.
   Violations raise `StackFileError` before the program runs.
2. pulumi-minio 0.17.1 bridges terraform-provider-minio v1.20.1 (`provider/go.mod` of pulumi/pulumi-minio
   v0.17.1): every input goes through that provider's Terraform schema and validators at Check
   (`tools/schemas/tf-minio-v1.20.1.json`, checked against the tag's source).
3. pulumi-kubernetes objects are checked against the Kubernetes OpenAPI schemas of our oldest supported minor.
3b. prometheus-operator custom resources (monitoring.coreos.com/v1) are checked against the CRD schemas of v0.93.0.
4. The MinIO chart's values must be keys chart 5.4.0 knows (`tools/schemas/minio-chart-5.4.0-values.json`).

Rules 2-4 report `Violation`s; the engine raises them together as `ProviderCheckError`. Unknown values (a
preview's not-yet-computed outputs) are skipped, as the real checks skip them.

A real first preview checks less than this: pulumi-minio stays unconfigured while its credentials are unknown, so
its Check is skipped and these errors would surface in the middle of `up`. We check every registration anyway.

Not emulated: decrypting `secure:` values (their declared type is not checked), ESC environments, reads of
existing objects (`Secret.get` sends only an id), and runtime failures of a real cluster or MinIO server beyond
the create-time checks named below.
"""
