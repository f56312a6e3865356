// Command collectorbench feeds an OTLP JSON lines file through the
// OpenTelemetry Collector's servicegraphconnector, the way a Collector
// with a file receiver would: pdata's JSON unmarshaler, then the
// connector, then one flush. It is the yardstick for rbgen's read speed
// (make bench-collector), in its own module so that rbgen does not
// depend on the Collector's contrib tree.
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/connector/servicegraphconnector"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: collectorbench FILE.jsonl")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "collectorbench:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	ctx := context.Background()
	f := servicegraphconnector.NewFactory()
	cfg := f.CreateDefaultConfig().(*servicegraphconnector.Config)
	// As many open edges as rbgen keeps open spans (1<<20), so that both
	// pair every span; the default 1000 drops most of a busy file's.
	cfg.Store.MaxItems = 1 << 20
	// A flush every 50 ms proves the metrics are built without waiting
	// for the default minute at the end.
	flush := 50 * time.Millisecond
	cfg.MetricsFlushInterval = &flush
	sink := new(consumertest.MetricsSink)
	conn, err := f.CreateTracesToMetrics(ctx, connectortest.NewNopSettings(component.MustNewType("servicegraph")), cfg, sink)
	if err != nil {
		return fmt.Errorf("create connector: %w", err)
	}
	if err := conn.Start(ctx, componenttest.NewNopHost()); err != nil {
		return fmt.Errorf("start connector: %w", err)
	}
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var u ptrace.JSONUnmarshaler
	spans := 0
	start := time.Now()
	for sc.Scan() {
		td, err := u.UnmarshalTraces(sc.Bytes())
		if err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		spans += td.SpanCount()
		if err := conn.ConsumeTraces(ctx, td); err != nil {
			return fmt.Errorf("consume: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if err := conn.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	fmt.Fprintf(os.Stderr, "collectorbench: %d spans in %s, %d metric data points flushed\n", spans, time.Since(start).Round(time.Millisecond), sink.DataPointCount())
	return nil
}
