using System.Runtime.Versioning;

// These tests run openssl, etcd and the Kubernetes binaries and set Unix file modes on key files: Linux only.
[assembly: SupportedOSPlatform("linux")]
