package topology_test

import "go.opentelemetry.io/collector/pdata/ptrace"

func statusCode(c int) ptrace.StatusCode { return ptrace.StatusCode(c) }
