package app

import (
	"time"

	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/tempo"
)

// TempoFlags are the command line's Tempo settings. Empty strings and false
// leave the config file's value; durations and counts are always the
// command line's (their defaults are the flags').
type TempoFlags struct {
	GRPC, HTTP, Tenant, Query string
	Lookback, Window          time.Duration
	End                       string // RFC 3339; empty for now
	Limit, Concurrency        int
	// MinPerOp is the fewest traces wanted of each operation Tempo's
	// metrics saw.
	MinPerOp                int
	CA, Cert, Key           string
	TLS, InsecureSkipVerify bool
}

// readSecrets reads the token, user and password from the environment
// variables the config file names; a named variable that is empty is an
// error, so a missing secret never reads as "no auth".
func readSecrets(getenv func(string) string, who string, names [3]string, dst [3]*string) error {
	for i, name := range names {
		if name == "" {
			continue
		}
		if *dst[i] = getenv(name); *dst[i] == "" {
			return inputErr("rbgen.yaml names the environment variable %s for %s credentials, but it is empty", name, who)
		}
	}
	return nil
}

// TempoConfig merges the flags over the config file's tempo section and
// reads the secrets from the environment variables the file names: the
// file never holds a secret.
func TempoConfig(file config.Tempo, f TempoFlags, getenv func(string) string, now time.Time) (tempo.Config, error) {
	pick := func(flag, file string) string {
		if flag != "" {
			return flag
		}
		return file
	}
	tc := tempo.Config{
		GRPCAddr: pick(f.GRPC, file.GRPC), HTTPURL: pick(f.HTTP, file.HTTP),
		Tenant: pick(f.Tenant, file.Tenant), Query: pick(f.Query, file.Query),
		Lookback: f.Lookback, Window: f.Window, LimitPerWindow: f.Limit, Concurrency: f.Concurrency, MinPerOperation: f.MinPerOp,
		TLS: tempo.TLSConfig{Enabled: f.TLS || file.TLS, CAFile: pick(f.CA, file.CAFile), CertFile: pick(f.Cert, file.CertFile),
			KeyFile: pick(f.Key, file.KeyFile), InsecureSkipVerify: f.InsecureSkipVerify || file.InsecureSkipVerify},
	}
	if err := readSecrets(getenv, "Tempo", [3]string{file.TokenEnv, file.UserEnv, file.PasswordEnv}, [3]*string{&tc.Token, &tc.User, &tc.Password}); err != nil {
		return tc, err
	}
	tc.End = now
	if f.End != "" {
		end, err := time.Parse(time.RFC3339, f.End)
		if err != nil {
			return tc, inputErr("--lookback-end: want RFC 3339 such as 2026-11-16T00:00:00Z: %v", err)
		}
		tc.End = end
	}
	if f.Lookback <= 0 || f.Window <= 0 || f.Limit <= 0 || f.Concurrency <= 0 || f.MinPerOp <= 0 {
		return tc, inputErr("--lookback, --window, --limit-per-window, --concurrency and --min-per-operation must be positive")
	}
	return tc, nil
}
