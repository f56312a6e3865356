package demo

import (
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Entry points, with the share of traffic each gets.
var entries = []struct {
	name   string
	weight float64
	run    func(t *tracer, root *span, at time.Time) (time.Time, bool)
}{
	{"GET /", 0.40, (*tracer).home},
	{"GET /product/{id}", 0.32, (*tracer).product},
	{"POST /cart", 0.18, (*tracer).addToCart},
	{"POST /checkout", 0.10, (*tracer).checkout},
}

// request serves one user request that arrives at the frontend at at.
func (g *gen) request(at time.Time) {
	r, pick := g.rnd.Float64(), len(entries)-1
	for i, e := range entries {
		if r < e.weight {
			pick = i
			break
		}
		r -= e.weight
	}
	e := entries[pick]
	t := g.newTrace()
	if g.cfg.Staging > 0 { // no draw otherwise: the bundled week stays as it was
		t.staging = g.chance(g.cfg.Staging)
	}
	method, route := splitRoute(e.name)
	root := t.newSpan(nil, "frontend", e.name, ptrace.SpanKindServer, at,
		attr{"http.request.method", method}, attr{"http.route", route}, attr{"url.path", route},
		attr{"client.address", "203.0.113.7"})
	end, failed := t.serve(root, "frontend", func(srv *span, start time.Time) (time.Time, bool) {
		return e.run(t, srv, start)
	})
	status := 200
	if failed {
		status = 500
	}
	root.attrs = append(root.attrs, attr{"http.response.status_code", status})
	t.finish(root, end, failed, "internal server error")
	g.countEntry("frontend: "+e.name, at, failed)
}

// export is the rare admin request: a report built from the warehouse.
func (g *gen) export(at time.Time) {
	t := g.newTrace()
	root := t.newSpan(nil, "frontend", "GET /admin/export", ptrace.SpanKindServer, at,
		attr{"http.request.method", "GET"}, attr{"http.route", "/admin/export"}, attr{"url.path", "/admin/export"})
	end, failed := t.serve(root, "frontend", func(srv *span, start time.Time) (time.Time, bool) {
		return t.http(srv, "frontend", "reports", "POST", "/export", start.Add(g.work(0.5)), func(srv *span, at time.Time) (time.Time, bool) {
			at = t.db(srv, "reports", "postgresql", "warehouse-db", "warehouse", "SELECT", "orders", at.Add(g.work(1)), 40)
			return at.Add(g.work(5)), false
		})
	})
	root.attrs = append(root.attrs, attr{"http.response.status_code", 200})
	t.finish(root, end, failed, "internal server error")
	g.countEntry("frontend: GET /admin/export", at, failed)
}

// countEntry counts a finished entry trace, and whether it began inside a
// fault window.
func (g *gen) countEntry(name string, at time.Time, failed bool) {
	g.stats.EntryTraces[name]++
	if failed {
		g.stats.EntryFailures[name]++
	}
	for _, f := range g.cfg.Faults {
		if !at.Before(f.Start) && at.Before(f.End) {
			g.stats.WindowTraces[name]++
			if failed {
				g.stats.WindowFailures[name]++
			}
			return
		}
	}
}

func splitRoute(name string) (string, string) {
	for i := range name {
		if name[i] == ' ' {
			return name[:i], name[i+1:]
		}
	}
	return "", name
}

func (t *tracer) home(root *span, at time.Time) (time.Time, bool) {
	g := t.g
	at = at.Add(g.work(0.8))
	at, f1 := t.currency(root, at, "GetSupportedCurrencies")
	at, f2 := t.listProducts(root, "frontend", at)
	at, f3 := t.getCart(root, "frontend", at)
	at, _ = t.ads(root, at) // ads are best effort: the page renders without them
	at = t.internal(root, "frontend", "render home", at, 3)
	return at, f1 || f2 || f3
}

func (t *tracer) product(root *span, at time.Time) (time.Time, bool) {
	g := t.g
	at = at.Add(g.work(0.6))
	at, f1 := t.getProduct(root, "frontend", at)
	at, f2 := t.currency(root, at, "Convert")
	at, _ = t.g.recommend(t, root, at)
	at, _ = t.ads(root, at)
	at = t.internal(root, "frontend", "render product", at, 2.5)
	return at, f1 || f2
}

func (t *tracer) addToCart(root *span, at time.Time) (time.Time, bool) {
	at, f1 := t.verify(root, at)
	if f1 {
		return at, true
	}
	at, f2 := t.getProduct(root, "frontend", at)
	at, f3 := t.http(root, "frontend", "cart", "POST", "/cart/items", at, func(srv *span, at time.Time) (time.Time, bool) {
		at = at.Add(t.g.work(0.5))
		at = t.db(srv, "cart", "redis", "redis-main", "", "HSET", "", at, 0.4)
		return at.Add(t.g.work(0.2)), false
	})
	return at.Add(t.g.work(0.3)), f2 || f3
}

func (t *tracer) checkout(root *span, at time.Time) (time.Time, bool) {
	at, failed := t.verify(root, at)
	if failed {
		return at, true
	}
	at, failed = t.grpc(root, "frontend", "checkout", "shop.CheckoutService/PlaceOrder", at, t.placeOrder)
	return at.Add(t.g.work(0.5)), failed
}

func (t *tracer) placeOrder(srv *span, at time.Time) (time.Time, bool) {
	g := t.g
	at = t.internal(srv, "checkout", "validate order", at, 0.8)
	at, failed := t.getCart(srv, "checkout", at)
	if failed {
		return at, true
	}
	for n := 1 + g.rnd.IntN(3); n > 0; n-- {
		var f bool
		if at, f = t.getProduct(srv, "checkout", at); f {
			return at, true
		}
	}
	if at, failed = t.currency(srv, at, "Convert"); failed {
		return at, true
	}
	at, failed = t.grpc(srv, "checkout", "shipping", "shop.ShippingService/GetQuote", at, func(s *span, at time.Time) (time.Time, bool) {
		return at.Add(g.work(1.5)), false
	})
	if failed {
		return at, true
	}
	if at, failed = t.http(srv, "checkout", "payment", "POST", "/charge", at, t.charge); failed {
		return at, true
	}
	at = t.db(srv, "checkout", "postgresql", "orders-db", "orders", "INSERT", "orders", at, 2.5)
	at = t.publishOrder(srv, at)
	at, _ = t.grpc(srv, "checkout", "cart", "shop.CartService/EmptyCart", at, func(s *span, at time.Time) (time.Time, bool) {
		return t.db(s, "cart", "redis", "redis-main", "", "DEL", "", at, 0.3), false
	})
	return at, false
}

// charge calls the payment provider, which sometimes answers 503.
func (t *tracer) charge(srv *span, at time.Time) (time.Time, bool) {
	g := t.g
	at = at.Add(g.work(0.7))
	cli := t.newSpan(srv, "payment", "POST", ptrace.SpanKindClient, at,
		attr{"http.request.method", "POST"}, attr{"url.full", "https://api.stripe.com/v1/charges"},
		attr{"server.address", "api.stripe.com"}, attr{"server.port", 443})
	extra, failed, _ := g.perturb("api.stripe.com", at) // a leaf: nothing to return early from
	failed = failed || g.chance(0.008)
	status := 200
	if failed {
		status = 503
	}
	cli.attrs = append(cli.attrs, attr{"http.response.status_code", status})
	end := at.Add(g.ms(180, 0.35) + extra)
	t.finish(cli, end, failed, "HTTP 503 from payment provider")
	return end.Add(g.work(0.4)), failed
}

// publishOrder puts the order on Kafka; fulfillment picks it up later in a
// trace of its own.
func (t *tracer) publishOrder(srv *span, at time.Time) time.Time {
	g := t.g
	p := t.newSpan(srv, "checkout", "orders publish", ptrace.SpanKindProducer, at,
		attr{"messaging.system", "kafka"}, attr{"messaging.destination.name", "orders"},
		attr{"messaging.operation.type", "send"}, attr{"server.address", "kafka"})
	end := at.Add(g.ms(1.2, 0.3))
	t.finish(p, end, false, "")
	g.pending = append(g.pending, consumerJob{at: end.Add(g.ms(40, 0.8)), trace: t.trace, producer: p.id})
	return end
}

// runConsumers processes the orders queued before now.
func (g *gen) runConsumers(now time.Time) {
	kept := g.pending[:0]
	for _, job := range g.pending {
		if job.at.After(now) {
			kept = append(kept, job)
			continue
		}
		g.fulfil(job)
	}
	g.pending = kept
}

func (g *gen) fulfil(job consumerJob) {
	t := g.newTrace()
	root := t.newSpan(nil, "fulfillment", "orders process", ptrace.SpanKindConsumer, job.at,
		attr{"messaging.system", "kafka"}, attr{"messaging.destination.name", "orders"},
		attr{"messaging.operation.type", "process"}, attr{"messaging.consumer.group.name", "fulfillment"})
	producer := job.producer
	root.link, root.linkTrace = &producer, job.trace
	end, failed := t.serve(root, "fulfillment", func(srv *span, at time.Time) (time.Time, bool) {
		at = t.internal(srv, "fulfillment", "pick items", at, 4)
		at, f1 := t.grpc(srv, "fulfillment", "shipping", "shop.ShippingService/ShipOrder", at, func(s *span, at time.Time) (time.Time, bool) {
			return at.Add(g.work(6)), false
		})
		at, f2 := t.http(srv, "fulfillment", "email", "POST", "/send", at, func(s *span, at time.Time) (time.Time, bool) {
			return at.Add(g.ms(35, 0.5)), false
		})
		return at, f1 || f2
	})
	t.finish(root, end, failed, "fulfilment failed")
	g.countEntry("fulfillment: orders process", job.at, failed)
}

func (t *tracer) verify(root *span, at time.Time) (time.Time, bool) {
	return t.http(root, "frontend", "auth", "POST", "/verify", at, func(srv *span, at time.Time) (time.Time, bool) {
		at = at.Add(t.g.work(0.4))
		return t.db(srv, "auth", "redis", "redis-main", "", "GET", "", at, 0.3), false
	})
}

func (t *tracer) currency(parent *span, at time.Time, method string) (time.Time, bool) {
	from := parent.service
	return t.grpc(parent, from, "currency", "shop.CurrencyService/"+method, at, func(srv *span, at time.Time) (time.Time, bool) {
		if t.g.chance(0.002) {
			return at.Add(t.g.ms(900, 0.2)), true // rate feed timed out
		}
		return at.Add(t.g.work(0.6)), false
	})
}

func (t *tracer) listProducts(parent *span, from string, at time.Time) (time.Time, bool) {
	return t.grpc(parent, from, "product-catalog", "shop.ProductCatalogService/ListProducts", at, func(srv *span, at time.Time) (time.Time, bool) {
		at = t.db(srv, "product-catalog", "postgresql", "catalog-db", "products", "SELECT", "products", at, 3.5)
		return at.Add(t.g.work(0.8)), false
	})
}

func (t *tracer) getProduct(parent *span, from string, at time.Time) (time.Time, bool) {
	return t.grpc(parent, from, "product-catalog", "shop.ProductCatalogService/GetProduct", at, func(srv *span, at time.Time) (time.Time, bool) {
		at = t.db(srv, "product-catalog", "postgresql", "catalog-db", "products", "SELECT", "products", at, 1.2)
		return at.Add(t.g.work(0.3)), false
	})
}

func (t *tracer) getCart(parent *span, from string, at time.Time) (time.Time, bool) {
	return t.grpc(parent, from, "cart", "shop.CartService/GetCart", at, func(srv *span, at time.Time) (time.Time, bool) {
		at = t.db(srv, "cart", "redis", "redis-main", "", "HGETALL", "", at, 0.4)
		return at.Add(t.g.work(0.2)), false
	})
}

func (t *tracer) ads(parent *span, at time.Time) (time.Time, bool) {
	return t.grpc(parent, "frontend", "ad", "shop.AdService/GetAds", at, func(srv *span, at time.Time) (time.Time, bool) {
		return at.Add(t.g.work(1.1)), false
	})
}

func (g *gen) recommend(t *tracer, parent *span, at time.Time) (time.Time, bool) {
	return t.grpc(parent, "frontend", "recommendation", "shop.RecommendationService/ListRecommendations", at, func(srv *span, at time.Time) (time.Time, bool) {
		at, failed := t.listProducts(srv, "recommendation", at)
		return at.Add(g.ms(4, 0.9)), failed
	})
}
