// Command evalrca scores rbgen's root-cause ranking on the Nezha
// fault-injection data: for every injected fault with traces, the window is
// the injection minute and the two after it, the baseline is the dataset's
// fault-free traces, and the injected service should be suspect #1.
//
//	go run ./tools/evalrca [-corpus ../shared/corpus/nezha]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/incident"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

type dataset struct {
	name, faults, baseline, labels string
}

var datasets = []dataset{
	{"Online Boutique", "onlineboutique/ob_2022-08-22_faults.otlp.jsonl.gz", "onlineboutique/ob_fault_free.otlp.jsonl.gz", "labels/2022-08-22-fault_list.json"},
	{"TrainTicket, code faults", "trainticket/tt_2023-01-29_code_faults.otlp.jsonl.gz", "trainticket/tt_fault_free.otlp.jsonl.gz", "labels/2023-01-29-fault_list.json"},
	{"TrainTicket, latency faults", "trainticket/tt_2023-01-30_latency_faults.otlp.jsonl.gz", "trainticket/tt_fault_free.otlp.jsonl.gz", "labels/2023-01-30-fault_list.json"},
}

type fault struct {
	// inject_time is UTC; inject_timestamp disagrees with it by hours in
	// one of the label files, so it is not used.
	Time string `json:"inject_time"`
	Pod  string `json:"inject_pod"`
	Type string `json:"inject_type"`
}

func main() {
	corpus := flag.String("corpus", "../shared/corpus/nezha", "the Nezha folder of the real-trace corpus")
	flag.BoolVar(&verbose, "v", false, "print the top suspects' evidence for every fault")
	flag.Parse()
	if _, err := os.Stat(*corpus); err != nil {
		fmt.Fprintf(os.Stderr, "evalrca: %v (the corpus lives in ../shared)\n", err)
		os.Exit(2)
	}
	fmt.Println("| dataset | faults | top-1 | top-3 |")
	fmt.Println("|---|---|---|---|")
	var misses []string
	for _, d := range datasets {
		n, top1, top3, miss, err := evaluate(*corpus, d)
		if err != nil {
			fmt.Fprintf(os.Stderr, "evalrca: %s: %v\n", d.name, err)
			os.Exit(1)
		}
		fmt.Printf("| %s | %d | %.2f | %.2f |\n", d.name, n, float64(top1)/float64(n), float64(top3)/float64(n))
		misses = append(misses, miss...)
	}
	fmt.Println()
	if len(misses) == 0 {
		fmt.Println("No misses.")
		return
	}
	fmt.Println("Misses (injected service not suspect #1):")
	for _, m := range misses {
		fmt.Println("- " + m)
	}
}

var verbose bool

var everything = [2]time.Time{time.Unix(0, 0), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}

func profile(path string, asBaseline bool) (*incident.Profile, error) {
	var ib *incident.Builder
	if asBaseline {
		ib = incident.NewBuilder(topology.Options{}, &everything, nil)
	} else {
		ib = incident.NewBuilder(topology.Options{}, nil, &everything)
	}
	err := (&tracefile.Reader{Paths: []string{path}}).Stream(context.Background(), func(b topology.Batch) error {
		ib.Add(b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	ib.Finish()
	if asBaseline {
		return ib.Baseline, nil
	}
	return ib.Window, nil
}

func evaluate(corpus string, d dataset) (n, top1, top3 int, misses []string, err error) {
	base, err := profile(filepath.Join(corpus, d.baseline), true)
	if err != nil {
		return
	}
	win, err := profile(filepath.Join(corpus, d.faults), false)
	if err != nil {
		return
	}
	raw, err := os.ReadFile(filepath.Join(corpus, d.labels))
	if err != nil {
		return
	}
	var byHour map[string][]fault
	if err = json.Unmarshal(raw, &byHour); err != nil {
		return
	}
	var faults []fault
	for _, fs := range byHour {
		faults = append(faults, fs...)
	}
	sort.Slice(faults, func(i, j int) bool { return faults[i].Time < faults[j].Time })
	for _, f := range faults {
		t, perr := time.Parse("2006-01-02 15:04:05", f.Time)
		if perr != nil {
			return n, top1, top3, misses, perr
		}
		// A Nezha trace file named HH_MM holds the traces of the minute
		// before that time (the data of a fault injected at 08:43:04 runs
		// from 08:42:09 to 08:45:08), so the fault's three files start a
		// minute before the injection minute.
		start := t.Truncate(time.Minute).Add(-time.Minute)
		a, aerr := incident.Analyze(base, win, start, start.Add(4*time.Minute))
		if aerr != nil {
			continue // no traces for this fault in the data
		}
		truth := service(f.Pod)
		n++
		if verbose {
			fmt.Printf("\n%s %s %s\n", f.Time, truth, f.Type)
			for i, s := range a.Suspects {
				if i >= 4 {
					break
				}
				fmt.Printf("  %d %s %.2f\n", i+1, s.Node, s.Score)
				for _, e := range s.Evidence {
					fmt.Printf("      %s\n", generator.EvidenceSentence(e))
				}
			}
		}
		rank := -1
		var names []string
		for i, s := range a.Suspects {
			if s.Node == truth && rank < 0 {
				rank = i
			}
			if i < 3 {
				names = append(names, fmt.Sprintf("%s %.2f", s.Node, s.Score))
			}
		}
		if rank == 0 {
			top1++
		}
		if rank >= 0 && rank < 3 {
			top3++
		}
		if rank != 0 {
			misses = append(misses, fmt.Sprintf("%s %s %s %s: ranked %s; top 3: %s", d.name, f.Time, truth, f.Type,
				rankText(rank), strings.Join(names, ", ")))
		}
	}
	return
}

func rankText(r int) string {
	if r < 0 {
		return "not a suspect"
	}
	return fmt.Sprintf("#%d", r+1)
}

// service strips the replica-set and pod suffixes from a pod name.
func service(pod string) string {
	parts := strings.Split(pod, "-")
	if len(parts) > 2 {
		return strings.Join(parts[:len(parts)-2], "-")
	}
	return pod
}
