// Scanprof runs the full-history scan of scan.Scan on a repository, as
// `vastguard scan --allow-partial` does, and writes its CPU or heap profile:
// what bench/fullscan.sh times, taken apart.
//
//	go run ./bench/scanprof -cpuprofile cpu.prof -workers 2 /path/to/repo.git
//	go tool pprof -top -nodecount 30 cpu.prof
//	VASTGUARD_CACHE_KEY=$(openssl rand -hex 16) go run ./bench/scanprof -cache DIR -runs 50 -cpuprofile cpu.prof REPO
//
// It prints the wall and CPU (user+system) time, the peak RSS, what the
// scan read and how many findings it made (never a key).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vastguard/vastguard/scan"
)

func main() {
	workers := flag.Int("workers", 0, "workers (0: GOMAXPROCS)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	memprofile := flag.String("memprofile", "", "write an allocation profile to this file")
	runs := flag.Int("runs", 1, "scan this many times (the profile covers them all)")
	rng := flag.String("range", "", "a range scan (BASE..HEAD) instead of the whole history")
	cache := flag.String("cache", "", "an incremental scan through this cache directory, its key from $VASTGUARD_CACHE_KEY (the first run writes it if absent)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: scanprof [flags] REPO")
		os.Exit(1)
	}
	if *memprofile != "" {
		runtime.MemProfileRate = 64 << 10
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	go sampleRSS()
	var ms runtime.MemStats
	for range *runs {
		start := time.Now()
		var ru0 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
		opts := scan.Options{Workers: *workers, AllowPartial: true, AllowBareInWorkTree: true}
		opts.Range = *rng
		if *cache != "" {
			opts.Cache, opts.CacheKey = *cache, []byte(os.Getenv("VASTGUARD_CACHE_KEY"))
		}
		rep, err := scan.Scan(context.Background(), flag.Arg(0), opts)
		if err != nil {
			pprof.StopCPUProfile()
			fail(err)
		}
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		cpu := time.Duration(ru.Utime.Nano()+ru.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
		runtime.ReadMemStats(&ms)
		st := rep.Stats
		fmt.Printf("wall %.3fs cpu %.3fs peak-rss %d MiB (sampled: anonymous %d, file %d); %d commits, %d blobs, %.1f MiB, %d trees, %d findings; %d GCs, %.0f MiB allocated in all\n",
			time.Since(start).Seconds(), cpu.Seconds(), ru.Maxrss>>10, peakAnon.Load()>>10, peakFile.Load()>>10, st.Commits, st.Blobs, float64(st.Bytes)/(1<<20), st.Trees, len(rep.Findings),
			ms.NumGC, float64(ms.TotalAlloc)/(1<<20))
	}
	if *memprofile != "" {
		f, err := os.Create(*memprofile)
		if err != nil {
			fail(err)
		}
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			fail(err)
		}
		f.Close()
	}
}

var peakAnon, peakFile atomic.Int64 // KiB

// sampleRSS keeps the largest anonymous (heap) and file-backed (mapped
// pack) resident sizes seen, every 20 ms.
func sampleRSS() {
	for {
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return
		}
		for line := range strings.Lines(string(b)) {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			v, _ := strconv.ParseInt(f[1], 10, 64)
			switch f[0] {
			case "RssAnon:":
				if v > peakAnon.Load() {
					peakAnon.Store(v)
				}
			case "RssFile:":
				if v > peakFile.Load() {
					peakFile.Store(v)
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "scanprof:", err)
	os.Exit(1)
}
