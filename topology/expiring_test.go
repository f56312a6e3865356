package topology

import "testing"

func TestExpiringForgetsByTimeAndByCap(t *testing.T) {
	var dropped []string
	e := newExpiring[string, int](3, 10)
	e.drop = func(k string, _ int) { dropped = append(dropped, k) }
	e.put("a", 1, 0)
	e.put("b", 2, 5)
	e.expire(11) // a is 11 old: gone
	if _, ok := e.get("a"); ok || e.len() != 1 {
		t.Fatalf("a should have expired; len %d", e.len())
	}
	e.put("c", 3, 12)
	e.put("d", 4, 13)
	e.put("e", 5, 14) // over the cap of 3: b, the oldest, goes
	if _, ok := e.get("b"); ok {
		t.Error("the cap did not push out the oldest")
	}
	e.delete("c")
	e.put("c", 6, 20) // deleted and put again: the old stamp must not expire it
	e.expire(24)
	if v, ok := e.get("c"); !ok || v != 6 {
		t.Errorf("c = %v %v after its old stamp expired", v, ok)
	}
	if len(dropped) != 3 || dropped[0] != "a" || dropped[1] != "b" {
		t.Errorf("dropped %v, want a, b and d (deleted entries are not dropped)", dropped)
	}
}
