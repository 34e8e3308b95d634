// Genrepo writes a git fast-import stream for a synthetic but realistic
// history: thousands of commits editing real source text (the Go
// distribution's own .go files, from GOROOT), on several branches with
// merges, with Vast.ai keys planted in some commits and removed in later
// ones. Keys are generated from -seed at run time; none is stored anywhere.
//
//	go run ./bench/genrepo -commits 5000 | git -C repo.git fast-import --quiet
//
// It prints the planted keys' SHA-256 (never the keys) to -planted.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

func main() {
	commits := flag.Int("commits", 5000, "number of commits")
	files := flag.Int("files", 1500, "number of distinct source files")
	seed := flag.Uint64("seed", 1, "random seed")
	plantEvery := flag.Int("plant-every", 250, "plant a key every N commits")
	planted := flag.String("planted", "", "write the planted keys' sha256, one per line, to this file")
	bigMB := flag.Int("big-blob", 0, "end with a commit adding one file of this many MiB of source text, with a key planted in its middle")
	flag.Parse()

	src := sources(*files)
	rng := rand.New(rand.NewPCG(*seed, 42))
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()

	var plantedHashes []string
	mark := 0
	type branchState struct {
		name string
		head int // mark of the branch's last commit; 0 before the first
	}
	main := &branchState{name: "main"}
	var topic *branchState
	tree := map[string]string{} // path -> content on main
	topicTree := map[string]string{}
	when := int64(1600000000)
	keyN := 0
	newKey := func() string {
		keyN++
		s := sha256.Sum256([]byte(fmt.Sprintf("genrepo %d key %d", *seed, keyN)))
		k := hex.EncodeToString(s[:])
		h := sha256.Sum256([]byte(k))
		plantedHashes = append(plantedHashes, hex.EncodeToString(h[:]))
		return k
	}
	var pendingRemoval []string
	for i := 0; i < *commits; i++ {
		when += int64(600 + rng.IntN(7200))
		// Commits 35-39 of every 40 happen on a topic branch, merged back
		// into main except every fifth one, which is left unmerged.
		b, files := main, tree
		if i%40 >= 35 {
			if topic == nil {
				topic = &branchState{name: fmt.Sprintf("topic-%d", i), head: main.head}
				topicTree = map[string]string{}
				for k, v := range tree {
					topicTree[k] = v
				}
			}
			b, files = topic, topicTree
		}
		changes := map[string]string{}
		n := 1 + rng.IntN(4)
		for j := 0; j < n; j++ {
			f := src[rng.IntN(len(src))]
			old, ok := files[f.path]
			if !ok {
				old = f.text
			}
			changes[f.path] = edit(rng, old, src)
		}
		if *plantEvery > 0 && i%*plantEvery == *plantEvery/2 {
			k := newKey()
			var p string
			switch (i / *plantEvery) % 3 {
			case 0:
				p = fmt.Sprintf("deploy/env/%d.env", i)
				changes[p] = "GPU=RTX_4090\nVAST_API_KEY=" + k + "\n"
			case 1:
				p = fmt.Sprintf("scripts/launch_%d.py", i)
				changes[p] = "from vastai import VastAI\nvast = VastAI(api_key=\"" + k + "\")\n"
			default:
				p = fmt.Sprintf("docs/setup_%d.md", i)
				changes[p] = "Run:\n\n    vastai set api-key " + k + "\n"
			}
			if b == main {
				pendingRemoval = append(pendingRemoval, p)
			}
		} else if b == main && len(pendingRemoval) > 0 && rng.IntN(10) == 0 {
			changes[pendingRemoval[0]] = "" // deleted later: still in history
			pendingRemoval = pendingRemoval[1:]
		}
		paths := make([]string, 0, len(changes))
		for p := range changes {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		mark++
		msg := fmt.Sprintf("change %d: edit %d files", i, len(paths))
		fmt.Fprintf(w, "commit refs/heads/%s\nmark :%d\n", b.name, mark)
		fmt.Fprintf(w, "committer Dev %d <dev%d@example.com> %d +0000\n", i%7, i%7, when)
		fmt.Fprintf(w, "data %d\n%s\n", len(msg), msg)
		if b.head != 0 {
			fmt.Fprintf(w, "from :%d\n", b.head)
		}
		for _, p := range paths {
			c := changes[p]
			if c == "" {
				if _, ok := files[p]; ok {
					fmt.Fprintf(w, "D %s\n", p)
					delete(files, p)
				}
				continue
			}
			fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", p, len(c), c)
			files[p] = c
		}
		fmt.Fprintln(w)
		b.head = mark
		if topic != nil && i%40 == 39 {
			if i%200 != 199 {
				when += 60
				mark++
				m := fmt.Sprintf("Merge branch '%s'", topic.name)
				fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\ncommitter Dev 0 <dev0@example.com> %d +0000\ndata %d\n%s\nfrom :%d\nmerge :%d\n", mark, when, len(m), m, main.head, topic.head)
				// The merge takes the topic's version of every file.
				for p, c := range topicTree {
					if tree[p] != c {
						fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", p, len(c), c)
						tree[p] = c
					}
				}
				fmt.Fprintln(w)
				main.head = mark
				fmt.Fprintf(w, "reset refs/heads/%s\nfrom 0000000000000000000000000000000000000000\n\n", topic.name)
			}
			topic = nil
		}
	}
	if *bigMB > 0 {
		// One large text file, streamed into the stream in pieces, with a
		// key halfway through.
		size := *bigMB << 20
		k := newKey()
		line := "VAST_API_KEY=" + k + "\n"
		when += 3600
		mark++
		msg := fmt.Sprintf("add a %d MiB data file", *bigMB)
		fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\ncommitter Dev 0 <dev0@example.com> %d +0000\ndata %d\n%s\n", mark, when, len(msg), msg)
		if main.head != 0 {
			fmt.Fprintf(w, "from :%d\n", main.head)
		}
		fmt.Fprintf(w, "M 100644 inline data/big.txt\ndata %d\n", size)
		written := 0
		plantedAt := size / 2
		for i := 0; written < size; i++ {
			chunk := src[i%len(src)].text
			if written < plantedAt && written+len(chunk) >= plantedAt {
				chunk = line + chunk
			}
			if written+len(chunk) > size {
				chunk = chunk[:size-written]
			}
			w.WriteString(chunk)
			written += len(chunk)
		}
		fmt.Fprint(w, "\n\n")
		main.head = mark
	}
	fmt.Fprintf(w, "done\n")
	if *planted != "" {
		if err := os.WriteFile(*planted, []byte(strings.Join(plantedHashes, "\n")+"\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

type source struct {
	path, text string
}

// sources reads up to n .go files from GOROOT/src as the repository's text.
func sources(n int) []source {
	root := filepath.Join(runtime.GOROOT(), "src")
	var out []source
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || len(out) >= n {
			return fs.SkipDir
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "vendor") {
			return fs.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil || len(b) > 200<<10 {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, source{path: filepath.ToSlash(rel), text: string(b)})
		return nil
	})
	if len(out) == 0 {
		fmt.Fprintln(os.Stderr, "genrepo: no Go sources under", root)
		os.Exit(1)
	}
	return out
}

// edit changes a few lines of text: replaces a run of lines with lines of
// another file, as real edits mix old and new code.
func edit(rng *rand.Rand, text string, src []source) string {
	lines := strings.Split(text, "\n")
	other := strings.Split(src[rng.IntN(len(src))].text, "\n")
	at := rng.IntN(len(lines))
	del := rng.IntN(min(8, len(lines)-at) + 1)
	from := rng.IntN(len(other))
	ins := other[from:min(len(other), from+1+rng.IntN(10))]
	out := append([]string{}, lines[:at]...)
	out = append(out, ins...)
	out = append(out, lines[at+del:]...)
	return strings.Join(out, "\n")
}
