package app

import (
	"slices"
	"testing"

	"github.com/rbgen/rbgen/topology"
)

func TestMeasuredServicesIncludeEveryMergedName(t *testing.T) {
	g := &topology.Graph{
		Nodes: []topology.Node{{Name: "api", Kind: topology.KindService}, {Name: "db", Kind: topology.KindDatabase, Virtual: true},
			{Name: "user", Kind: topology.KindUser}},
		Merged: []topology.Merge{{From: "API", Into: "api"}, {From: "10.0.0.7", Into: "db"}},
	}
	if got, want := measuredServices(g), []string{"api", "API"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v: a service under every spelling, and no database or user", got, want)
	}
}
