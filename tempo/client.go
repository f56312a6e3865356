package tempo

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/grafana/tempo/pkg/tempopb"

	"github.com/rbgen/rbgen/internal/tlsconf"
	"github.com/rbgen/rbgen/topology"
)

// Config says where Tempo is, how to talk to it, and what to pull.
type Config struct {
	// GRPCAddr is Tempo's gRPC endpoint, host:port (search).
	GRPCAddr string
	// HTTPURL is Tempo's HTTP API base URL (fetch by ID), for example
	// http://tempo:3200 or https://tempo-prod-04-prod-us-east-0.grafana.net/tempo.
	HTTPURL string
	// Tenant is sent as X-Scope-OrgID on every call when set.
	Tenant string
	// Token is a bearer token; User and Password are basic auth. Callers
	// read them from the environment; they are never logged or written.
	Token, User, Password string
	TLS                   TLSConfig

	// Query is the TraceQL that selects traces; default {}.
	Query string
	// End of the lookback (default now) and its length (default 168h).
	End      time.Time
	Lookback time.Duration
	// Window splits the lookback (default 1h); LimitPerWindow is the
	// traces wanted from each (default 20); MinWindow the floor for halving
	// a window that comes back full (default 5m).
	Window, MinWindow time.Duration
	LimitPerWindow    int
	// Concurrency bounds the parallel fetches (default 8).
	Concurrency int
	// Timeout bounds each call (default 30s); Retries each call's attempts
	// after the first (default 4).
	Timeout time.Duration
	Retries int
	// RetryBase is the first backoff interval (default 250ms); each retry
	// doubles it, with jitter, up to 5s.
	RetryBase time.Duration
	// Progress, if set, is told of progress after every window and trace.
	Progress func(Coverage)
	// MinPerOperation is the fewest traces a pull wants of every
	// operation Tempo saw (with Cover); fewer, and the operation gets a
	// search of its own.
	MinPerOperation int
}

// TLSConfig is the client side of TLS; with none of it set, plain gRPC is
// used for host:port and the URL scheme decides for HTTP.
type TLSConfig struct {
	Enabled            bool
	CAFile             string
	CertFile, KeyFile  string
	InsecureSkipVerify bool
	ServerName         string
}

// Defaults.
const (
	DefaultQuery          = "{}"
	DefaultLookback       = 168 * time.Hour
	DefaultWindow         = time.Hour
	DefaultMinWindow      = 5 * time.Minute
	DefaultLimitPerWindow = 20
	DefaultConcurrency    = 8
	// DefaultMinPerOperation is Config.MinPerOperation's default.
	DefaultMinPerOperation = 3
	DefaultTimeout         = 30 * time.Second
	DefaultRetries         = 4
)

func (c Config) withDefaults() Config {
	if c.Query == "" {
		c.Query = DefaultQuery
	}
	if c.End.IsZero() {
		c.End = time.Now()
	}
	if c.Lookback <= 0 {
		c.Lookback = DefaultLookback
	}
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	if c.MinWindow <= 0 {
		c.MinWindow = DefaultMinWindow
	}
	if c.LimitPerWindow <= 0 {
		c.LimitPerWindow = DefaultLimitPerWindow
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.MinPerOperation <= 0 {
		c.MinPerOperation = DefaultMinPerOperation
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Retries < 0 {
		c.Retries = 0
	} else if c.Retries == 0 {
		c.Retries = DefaultRetries
	}
	return c
}

// Client is a topology.Source over a Tempo server.
type Client struct {
	cfg    Config
	conn   *grpc.ClientConn
	search tempopb.StreamingQuerierClient
	http   *http.Client
	base   *url.URL
	// Coverage is filled in by Stream.
	Coverage Coverage
	// cover lists the operations Tempo saw, for the pull to cover.
	cover []Op
}

var _ topology.Source = (*Client)(nil)

// New checks the configuration and prepares connections; it does not dial
// (gRPC connects lazily), so a Tempo that is down shows up in Stream.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if cfg.GRPCAddr == "" {
		return nil, errors.New("no Tempo gRPC address: give --tempo host:port")
	}
	if cfg.HTTPURL == "" {
		return nil, errors.New("no Tempo HTTP URL: give --tempo-http URL (the API for fetching traces by ID)")
	}
	base, err := url.Parse(strings.TrimRight(cfg.HTTPURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("--tempo-http %q: want a URL such as http://tempo:3200", cfg.HTTPURL)
	}
	if cfg.Window < cfg.MinWindow {
		return nil, fmt.Errorf("--window %s is shorter than the %s floor", cfg.Window, cfg.MinWindow)
	}
	tlsCfg, err := cfg.TLS.build()
	if err != nil {
		return nil, err
	}
	creds := insecure.NewCredentials()
	if tlsCfg != nil {
		creds = credentials.NewTLS(tlsCfg)
	}
	conn, err := grpc.NewClient(cfg.GRPCAddr,
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(gogoCodec{}), grpc.MaxCallRecvMsgSize(64<<20)),
		grpc.WithStreamInterceptor(cfg.streamMetadata))
	if err != nil {
		return nil, fmt.Errorf("--tempo %q: %w", cfg.GRPCAddr, err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if tlsCfg != nil || base.Scheme == "https" {
		if tlsCfg == nil {
			tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		transport.TLSClientConfig = tlsCfg
	}
	transport.MaxIdleConnsPerHost = cfg.Concurrency
	return &Client{
		cfg:    cfg,
		conn:   conn,
		search: tempopb.NewStreamingQuerierClient(conn),
		http:   &http.Client{Transport: transport, Timeout: cfg.Timeout},
		base:   base,
	}, nil
}

// Close releases the connections.
func (c *Client) Close() error { return c.conn.Close() }

func (t TLSConfig) build() (*tls.Config, error) {
	return tlsconf.Files{Enabled: t.Enabled, CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile,
		InsecureSkipVerify: t.InsecureSkipVerify, ServerName: t.ServerName, Flag: "--tempo"}.Build()
}

// streamMetadata adds the tenant and credentials to every gRPC stream.
func (c Config) streamMetadata(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	var kv []string
	if c.Tenant != "" {
		kv = append(kv, "x-scope-orgid", c.Tenant)
	}
	if auth := c.authorization(); auth != "" {
		kv = append(kv, "authorization", auth)
	}
	if len(kv) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, kv...)
	}
	return streamer(ctx, desc, cc, method, opts...)
}

func (c Config) authorization() string {
	switch {
	case c.Token != "":
		return "Bearer " + c.Token
	case c.User != "" || c.Password != "":
		req := &http.Request{Header: http.Header{}}
		req.SetBasicAuth(c.User, c.Password)
		return req.Header.Get("Authorization")
	}
	return ""
}
