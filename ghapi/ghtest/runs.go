package ghtest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// Routes of the Actions runs and logs.
const (
	RouteListRuns = "list-runs" // GET /repos/{owner}/{repo}/actions/runs
	RouteRunLogs  = "run-logs"  // GET /repos/{owner}/{repo}/actions/runs/{run_id}/logs
)

// PermActions: read workflow runs and their logs (fine-grained "Actions:
// read", classic "repo" for private repositories; GITHUB_TOKEN's actions).
const PermActions Permission = "actions"

// Run is a workflow run the fake holds.
type Run struct {
	ID         int64 // 0: the next id
	Name       string
	Number     int
	Attempt    int // 0 means 1
	Event      string
	Status     string // "completed" when empty
	Conclusion string
	Branch     string
	HeadSHA    string
	Actor      string
	Created    time.Time
	// Logs is the run's log archive, as LogArchive makes it; nil answers
	// 404, as GitHub does for a run without logs.
	Logs []byte
	// Expired answers 410 Gone: the logs were kept past their retention.
	Expired bool
}

// The blob storage GitHub redirects log downloads to: another host, a
// signed URL valid for a minute (the docs: "The link expires after 1
// minute"), no Authorization header needed, and Azure's XML error when the
// signature is bad or expired.
type blobStore struct {
	mu      sync.Mutex
	srv     *httptest.Server
	objects map[string][]byte // by path
	log     []BlobRequest
	// ttl is how long a link is valid; expireNext makes the next n links
	// dead on arrival.
	ttl        time.Duration
	expireNext int
}

// BlobRequest is a request the blob storage received.
type BlobRequest struct {
	Path   string
	Auth   string // the Authorization header: GitHub's token must never come here
	Status int
}

const azureAuthFailed = `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.
RequestId:0b7e1c3d-a01e-0042-3f2c-9d5e1f000000
Time:2026-09-07T09:15:20.0000000Z</Message><AuthenticationErrorDetail>Signed expiry time [Mon, 07 Sep 2026 09:15:00 GMT] must be after signed start time [Mon, 07 Sep 2026 09:15:20 GMT]</AuthenticationErrorDetail></Error>`

func (b *blobStore) start() {
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
}

func (b *blobStore) serve(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	entry := BlobRequest{Path: r.URL.Path, Auth: r.Header.Get("Authorization")}
	defer func() { b.log = append(b.log, entry) }()
	fail := func(status int, body string) {
		entry.Status = status
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
	q := r.URL.Query()
	se, err := time.Parse(time.RFC3339, q.Get("se"))
	data, ok := b.objects[r.URL.Path]
	switch {
	case r.Method != http.MethodGet:
		fail(http.StatusMethodNotAllowed, `<?xml version="1.0" encoding="utf-8"?><Error><Code>UnsupportedHttpVerb</Code></Error>`)
	case !ok:
		fail(http.StatusNotFound, `<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code></Error>`)
	case err != nil || q.Get("sig") == "" || time.Now().After(se):
		fail(http.StatusForbidden, azureAuthFailed)
	default:
		entry.Status = http.StatusOK
		w.Header().Set("Content-Type", "application/zip")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data)
	}
}

// link stores data and returns a signed URL for it.
func (b *blobStore) link(name string, data []byte) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.srv == nil { // New without Start: the handler alone was served
		b.start()
	}
	p := "/actions-results/" + newUUID() + "/" + name
	b.objects[p] = data
	exp := time.Now().Add(b.ttl)
	if b.expireNext > 0 {
		b.expireNext--
		exp = time.Now().Add(-time.Minute)
	}
	v := url.Values{"sv": {"2025-01-05"}, "sr": {"b"}, "sp": {"r"}, "se": {exp.UTC().Format(time.RFC3339)}, "sig": {randomAlnum(43)}}
	return b.srv.URL + p + "?" + v.Encode()
}

// BlobRequests returns what the log storage host received, oldest first.
func (s *Server) BlobRequests() []BlobRequest {
	s.blobs.mu.Lock()
	defer s.blobs.mu.Unlock()
	return append([]BlobRequest(nil), s.blobs.log...)
}

// ExpireNextLogLinks makes the next n log download links expired when
// fetched, as a link used more than a minute after the redirect is.
func (s *Server) ExpireNextLogLinks(n int) {
	s.blobs.mu.Lock()
	defer s.blobs.mu.Unlock()
	s.blobs.expireNext = n
}

// AddRun adds a workflow run to a repository (made if missing) and returns
// its id.
func (s *Server) AddRun(owner, name string, run Run) int64 {
	s.mu.Lock()
	rp := s.findLocked(owner, name)
	s.mu.Unlock()
	if rp == nil {
		s.AddRepo(Repo{Owner: owner, Name: name})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp = s.findLocked(owner, name)
	if run.ID == 0 {
		s.nextID++
		run.ID = 9_000_000_000 + s.nextID
	}
	if run.Attempt == 0 {
		run.Attempt = 1
	}
	if run.Status == "" {
		run.Status, run.Conclusion = "completed", "success"
	}
	if run.Number == 0 {
		run.Number = len(rp.runs) + 1
	}
	if run.Created.IsZero() {
		run.Created = time.Now().UTC().Truncate(time.Second)
	}
	c := run
	rp.runs = append(rp.runs, &c)
	return run.ID
}

// LogJob is a job of a run's log archive: its name and steps.
type LogJob struct {
	Name  string
	Steps []LogStep
}

// LogStep is a step and the lines it printed.
type LogStep struct {
	Name  string
	Lines []string
}

// LogArchive builds a run's log archive as GitHub serves it: for job i, a
// top-level "i_NAME.txt" with the job's whole log and a directory NAME/
// with "n_STEP.txt" for each step and the runner's system.txt. Names lose
// '/' and ':' and are cut at 90 UTF-16 code units, then trimmed, as GitHub
// makes them (cli/cli#5011). Every line starts with a timestamp, the whole
// log with a byte order mark. Consolidated archives (GitHub's since 2026)
// have no per-step files: the whole-job file and system.txt alone.
func LogArchive(start time.Time, consolidated bool, jobs ...LogJob) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	add := func(name, body string) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: start})
		if err != nil {
			panic(err)
		}
		w.Write([]byte(body))
	}
	ts := start
	stamp := func(line string) string {
		ts = ts.Add(1234567 * time.Microsecond)
		return ts.UTC().Format("2006-01-02T15:04:05.0000000Z") + " " + line + "\n"
	}
	for i, job := range jobs {
		dir := logName(job.Name)
		var whole strings.Builder
		whole.WriteString("\ufeff")
		steps := map[string]string{}
		var stepNames []string
		for n, st := range job.Steps {
			var text strings.Builder
			for _, l := range st.Lines {
				text.WriteString(stamp(l))
			}
			whole.WriteString(text.String())
			name := fmt.Sprintf("%s/%d_%s.txt", dir, n+1, logName(st.Name))
			steps[name] = text.String()
			stepNames = append(stepNames, name)
		}
		add(fmt.Sprintf("%d_%s.txt", i, dir), whole.String())
		if !consolidated {
			for _, n := range stepNames {
				add(n, steps[n])
			}
		}
		add(dir+"/system.txt", stamp("Requested labels: ubuntu-latest")+stamp("Job defined at: acme/gpu/.github/workflows/ci.yml@refs/heads/main"))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// logName is a job or step name as the archive spells it.
func logName(name string) string {
	name = strings.NewReplacer("/", "", ":", "").Replace(name)
	u := utf16.Encode([]rune(name))
	if len(u) > 90 {
		name = string(utf16.Decode(u[:90]))
	}
	return strings.TrimSpace(name)
}

// listRuns answers GET /repos/{owner}/{repo}/actions/runs: newest first,
// paginated like the repository list, filtered by created (">=DATE",
// ">DATE", "<=DATE", "<DATE", "A..B" or a day), and, as GitHub does for a
// search, at most 1,000 runs in all.
func (s *Server) listRuns(a *answer, r *http.Request, _ []byte) {
	q := r.URL.Query()
	perPage := 30
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		perPage = n
	}
	perPage = min(perPage, s.maxPerPage, 100)
	page := 1
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		page = n
	}
	match, ok := createdFilter(q.Get("created"))
	if !ok {
		a.errorJSON(http.StatusUnprocessableEntity, "Validation Failed: created is not a valid date or range", docURL(RouteListRuns))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoForLocked(a, r)
	if rp == nil {
		return
	}
	var runs []*Run
	for _, run := range rp.runs {
		if match(run.Created) {
			runs = append(runs, run)
		}
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Created.After(runs[j].Created) })
	total := len(runs)
	if q.Get("created") != "" && len(runs) > 1000 {
		runs = runs[:1000]
	}
	last := max(1, (len(runs)+perPage-1)/perPage)
	start := min((page-1)*perPage, len(runs))
	end := min(start+perPage, len(runs))
	var b strings.Builder
	fmt.Fprintf(&b, `{"total_count":%d,"workflow_runs":[`, total)
	for i, run := range runs[start:end] {
		if i > 0 {
			b.WriteByte(',')
		}
		writeRun(&b, s.base(r), rp, run)
	}
	b.WriteString("]}")
	if link := linkHeader(s.base(r)+strings.TrimPrefix(r.URL.Path, s.prefix), q, page, last); link != "" {
		a.header.Set("Link", link)
	}
	a.json(http.StatusOK, b.String())
}

// createdFilter reads GitHub's created search qualifier.
func createdFilter(v string) (func(time.Time) bool, bool) {
	if v == "" {
		return func(time.Time) bool { return true }, true
	}
	parse := func(s string) (time.Time, bool) {
		for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t, true
			}
		}
		return time.Time{}, false
	}
	if a, b, ok := strings.Cut(v, ".."); ok {
		from, ok1 := parse(a)
		to, ok2 := parse(b)
		return func(t time.Time) bool { return !t.Before(from) && !t.After(to) }, ok1 && ok2
	}
	for _, op := range []string{">=", "<=", ">", "<"} {
		if rest, ok := strings.CutPrefix(v, op); ok {
			d, ok := parse(rest)
			return func(t time.Time) bool {
				switch op {
				case ">=":
					return !t.Before(d)
				case "<=":
					return !t.After(d)
				case ">":
					return t.After(d)
				}
				return t.Before(d)
			}, ok
		}
	}
	d, ok := parse(v)
	return func(t time.Time) bool { return !t.Before(d) && t.Before(d.Add(24*time.Hour)) }, ok
}

// writeRun writes a run as the list's JSON, with the fields a client reads.
func writeRun(b *strings.Builder, base string, rp *repo, run *Run) {
	html := "https://github.example/" + rp.Owner + "/" + rp.Name + "/actions/runs/" + strconv.FormatInt(run.ID, 10)
	conclusion := "null"
	if run.Conclusion != "" {
		conclusion = quote(run.Conclusion)
	}
	fmt.Fprintf(b, `{"id":%d,"name":%s,"node_id":%s,"head_branch":%s,"head_sha":%s,"path":".github/workflows/ci.yml","display_title":%s,`+
		`"run_number":%d,"event":%s,"status":%s,"conclusion":%s,"workflow_id":161335,"url":%s,"html_url":%s,`+
		`"created_at":%s,"updated_at":%s,"run_attempt":%d,"run_started_at":%s,`+
		`"actor":{"login":%s,"id":1,"type":"User"},"triggering_actor":{"login":%s,"id":1,"type":"User"},`+
		`"logs_url":%s,"repository":{"id":%d,"name":%s,"full_name":%s}}`,
		run.ID, quote(run.Name), quote(fmt.Sprintf("WFR_kwLO%010d", run.ID%1e10)), quote(run.Branch), quote(run.HeadSHA), quote(run.Name),
		run.Number, quote(run.Event), quote(run.Status), conclusion,
		quote(base+"/repos/"+rp.Owner+"/"+rp.Name+"/actions/runs/"+strconv.FormatInt(run.ID, 10)), quote(html),
		quote(run.Created.UTC().Format(time.RFC3339)), quote(run.Created.UTC().Format(time.RFC3339)), run.Attempt, quote(run.Created.UTC().Format(time.RFC3339)),
		quote(run.Actor), quote(run.Actor),
		quote(base+"/repos/"+rp.Owner+"/"+rp.Name+"/actions/runs/"+strconv.FormatInt(run.ID, 10)+"/logs"),
		rp.id, quote(rp.Name), quote(rp.Owner+"/"+rp.Name))
}

// runLogs answers GET .../actions/runs/{run_id}/logs: 302 to a signed blob
// storage URL, 404 for a run without logs, 410 for expired ones.
func (s *Server) runLogs(a *answer, r *http.Request, _ []byte) {
	s.mu.Lock()
	rp := s.repoForLocked(a, r)
	if rp == nil {
		s.mu.Unlock()
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("run_id"), 10, 64)
	var run *Run
	for _, x := range rp.runs {
		if x.ID == id {
			run = x
		}
	}
	s.mu.Unlock()
	switch {
	case run == nil, run.Logs == nil && !run.Expired:
		a.errorJSON(http.StatusNotFound, "Not Found", docURL(RouteRunLogs))
	case run.Expired:
		a.errorJSON(http.StatusGone, "Gone", docURL(RouteRunLogs))
	default:
		a.status = http.StatusFound
		a.header.Set("Location", s.blobs.link(fmt.Sprintf("logs_%d.zip", run.ID), run.Logs))
		a.header.Set("Content-Type", "text/html;charset=utf-8")
	}
}
