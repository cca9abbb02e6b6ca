"""What a change of the desired state risks, judged from both sides: refused changes, replacements, deletions.

Pure: two snapshots of what the program declares (anything with `resources` and `outputs`, such as
`tools.engine.Inventory`) in, a tuple of `Risk` out. No Pulumi import, no IO except reading the vendored provider
schema once. Every rule cites the upstream code it follows; the plan diff renders the result and exits non-zero
when a risk is `refused`.

Sources, read at our pins:
- terraform-provider-minio v1.20.1 (what pulumi-minio 0.17.1 bridges), `minio/resource_minio_s3_bucket.go`:
  `minioUpdateBucket` applies only `acl` and `quota` (an `object_locking` change reports success and does nothing);
  `bucket` is ForceNew (a new, empty bucket). ForceNew fields of every resource come from the provider schema.
  A quota removed is *not* refused: `minioUpdateBucket` sends quota 0, `minioSetBucketQuota`'s "quota must be larger
  than 0" check never fires for it (madmin-go v1.7.5, the provider's pin, `BucketQuota.IsValid`: "Empty configs are
  valid"), and MinIO stores it as no limit (RELEASE.2024-12-18T13-15-44Z `cmd/bucket-quota.go` `parseBucketQuota`,
  `enforceQuotaHard` enforces only a quota above 0).
- pulumi-kubernetes `provider/pkg/provider/diff.go` `forceNew` and `forceNewProperties`, `provider.go` `Diff`
  (metadata.name/namespace always replace; a named object is deleted before it is re-created),
  `helm_release.go` `Diff` (`name`, `namespace` replace a release). Read at the newest commit in our mirror
  (94977969d, after v4.32.0; the SDK pin is 4.34.2, whose provider tag the mirror does not have).
- Kubernetes `pkg/apis/storage/validation/validation.go` `ValidateStorageClassUpdate`: `parameters`,
  `provisioner`, `reclaimPolicy` and `volumeBindingMode` cannot change (pulumi-kubernetes replaces on the first
  two only, so a change of the others is rejected by the API server).
- MinIO (RELEASE.2024-12-18T13-15-44Z): the erasure sets of a pool are fixed when it is formatted
  (`cmd/format-erasure.go` `checkFormatErasureValues`: "already formatted with %d drives per erasure set. This cannot
  be changed"), so neither a pool's servers or drives nor the set drive count can change; a pool leaves only by
  decommissioning (`cmd/erasure-server-pool-decom.go`), and a new pool gets new objects only unless rebalanced
  (`cmd/erasure-server-pool-rebalance.go`); parity (storage class) applies to objects written after the change.
- StatefulSet `volumeClaimTemplates` are immutable (chart 5.4.0 `templates/statefulset.yaml` renders the drives
  there), so a drive-size change fails the Helm upgrade; a claim only grows, and only when its StorageClass allows
  expansion (a local, statically provisioned volume never does).
"""
