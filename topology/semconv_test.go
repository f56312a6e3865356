package topology

import (
	"testing"

	semconv120 "go.opentelemetry.io/otel/semconv/v1.20.0"
	semconv126 "go.opentelemetry.io/otel/semconv/v1.26.0"
	semconv137 "go.opentelemetry.io/otel/semconv/v1.37.0"
)

// TestSemconvKeys guards the attribute names rbgen reads against the
// semantic conventions as OpenTelemetry's Go packages spell them, one
// generation each: a rename upstream, or a typo here, fails this test
// instead of silently naming nodes differently.
func TestSemconvKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"db.system.name (1.37)", attrDBSystem[0], string(semconv137.DBSystemNameKey)},
		{"db.system (1.26)", attrDBSystem[1], string(semconv126.DBSystemKey)},
		{"db.namespace (1.26)", attrDBNamespace[0], string(semconv126.DBNamespaceKey)},
		{"db.name (1.20)", attrDBNamespace[1], string(semconv120.DBNameKey)},
		{"db.connection_string (1.20)", attrConnString, string(semconv120.DBConnectionStringKey)},
		{"server.address (1.26)", attrServerAddr[0], string(semconv126.ServerAddressKey)},
		{"net.peer.name (1.20)", attrServerAddr[1], string(semconv120.NetPeerNameKey)},
		{"network.peer.address (1.26)", attrPeerAddr[0], string(semconv126.NetworkPeerAddressKey)},
		{"net.sock.peer.addr (1.20)", attrPeerAddr[1], string(semconv120.NetSockPeerAddrKey)},
		{"server.port (1.26)", attrPort[0], string(semconv126.ServerPortKey)},
		{"network.peer.port (1.26)", attrPort[1], string(semconv126.NetworkPeerPortKey)},
		{"net.peer.port (1.20)", attrPort[2], string(semconv120.NetPeerPortKey)},
		{"url.full (1.26)", attrURL[0], string(semconv126.URLFullKey)},
		{"http.url (1.20)", attrURL[1], string(semconv120.HTTPURLKey)},
		{"http.request.method (1.26)", attrHTTPMethod[0], string(semconv126.HTTPRequestMethodKey)},
		{"http.method (1.20)", attrHTTPMethod[1], string(semconv120.HTTPMethodKey)},
		{"http.response.status_code (1.26)", attrHTTPStatus[0], string(semconv126.HTTPResponseStatusCodeKey)},
		{"http.status_code (1.20)", attrHTTPStatus[1], string(semconv120.HTTPStatusCodeKey)},
		{"messaging.system (1.26)", attrMsgSystem[0], string(semconv126.MessagingSystemKey)},
		{"messaging.destination.name (1.26)", attrMsgDest[0], string(semconv126.MessagingDestinationNameKey)},
		{"rpc.system (1.26)", attrRPCSystem[0], string(semconv126.RPCSystemKey)},
		{"rpc.grpc.status_code (1.26)", attrGRPCStatus[0], string(semconv126.RPCGRPCStatusCodeKey)},
		{"service.version (1.26)", attrServiceVersion, string(semconv126.ServiceVersionKey)},
		{"k8s.namespace.name (1.26)", attrK8sNamespace, string(semconv126.K8SNamespaceNameKey)},
		{"k8s.pod.name (1.26)", attrK8sPod, string(semconv126.K8SPodNameKey)},
		{"k8s.deployment.name (1.26)", workloadKinds[0].attr, string(semconv126.K8SDeploymentNameKey)},
		{"k8s.statefulset.name (1.26)", workloadKinds[1].attr, string(semconv126.K8SStatefulSetNameKey)},
		{"k8s.daemonset.name (1.26)", workloadKinds[2].attr, string(semconv126.K8SDaemonSetNameKey)},
		{"host.name (1.26)", attrHostName, string(semconv126.HostNameKey)},
		{"deployment.environment.name (1.37)", attrEnvironment[0], string(semconv137.DeploymentEnvironmentNameKey)},
		{"deployment.environment (1.26)", attrEnvironment[1], string(semconv126.DeploymentEnvironmentKey)},
		{"exception.type (1.26)", attrExceptionType, string(semconv126.ExceptionTypeKey)},
		{"exception.message (1.26)", attrExceptionMessage, string(semconv126.ExceptionMessageKey)},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: rbgen reads %q, the conventions say %q", tc.name, tc.got, tc.want)
		}
	}
}
