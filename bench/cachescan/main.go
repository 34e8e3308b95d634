// Cachescan runs an incremental history scan (scan.Options.Cache) for
// bench/compare.sh until the vastguard CLI takes --cache itself. It writes
// the JSON report to -output and exits 0 whatever it found.
//
//	VASTGUARD_CACHE_KEY=... go run ./bench/cachescan -cache DIR -output report.json REPO
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/vastguard/vastguard/scan"
)

func main() {
	cache := flag.String("cache", "", "the cache directory")
	output := flag.String("output", "", "where the JSON report goes")
	flag.Parse()
	key := os.Getenv("VASTGUARD_CACHE_KEY")
	if *cache == "" || *output == "" || flag.NArg() != 1 || key == "" {
		fmt.Fprintln(os.Stderr, "usage: VASTGUARD_CACHE_KEY=... cachescan -cache DIR -output FILE REPO")
		os.Exit(1)
	}
	rep, err := scan.Scan(context.Background(), flag.Arg(0), scan.Options{AllowPartial: true, Cache: *cache, CacheKey: []byte(key)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "cachescan:", err)
		os.Exit(1)
	}
	f, err := os.Create(*output)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cachescan:", err)
		os.Exit(1)
	}
	defer f.Close()
	if err := scan.WriteJSON(f, rep); err != nil {
		fmt.Fprintln(os.Stderr, "cachescan:", err)
		os.Exit(1)
	}
}
