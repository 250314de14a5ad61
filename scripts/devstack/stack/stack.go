// Package stack starts the whole of Vigil on loopback, as `make dev` and the
// end-to-end tests run it: versitygw (the upload and production buckets,
// its event webhook pointing at the validator), dynalite (the table),
// `vigil-validator serve`, `vigil-cloud serve` with a demo account and
// license, and one or more `vigil-edge run` enrolled with that license,
// each with an admin account. Every password and key is generated; none is
// fixed.
//
// The children run in their own process group (a Ctrl-C reaches the stack,
// which stops them in order: edges, cloud, validator, S3, DynamoDB) with
// their output in DIR/logs/NAME.log. Single parts can be stopped, killed and
// started again, which is what the fault tests do.
//
// versitygw's webhook neither retries nor queues: an upload whose event
// was lost (the validator was down, killed, or refused it when its queue
// was full) is found by the validator's own sweep, which lists uploads/ when
// it starts and every Config.SweepInterval and handles the uploads older
// than Config.SweepMinAge. The stack posts no events itself: what the tests
// see recovered, the product recovered.
package stack

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"vigil/adapters/dynamodb"
)

// PETSClip is the edge's default source, relative to the module root.
const PETSClip = "testdata/video/pets09-s2l1_0001-0400.mjpeg"

// Config says what to start and where.
type Config struct {
	// Dir holds everything the stack writes (emptied at Start): bin/,
	// s3/, edge-NAME/, logs/, stack.json.
	Dir string
	// Root is the module's root (source, testdata, scripts/dynalite);
	// empty: found from this package's source or the working directory.
	Root string
	// Bin holds vigil-edge, vigil-validator and vigil-cloud already built;
	// empty: built into Dir/bin.
	Bin string
	// Source of the first edge (default file:PETSClip, looped); "" with
	// NoEdge: no edge at all.
	Source string
	NoEdge bool
	// EdgeSettings is merged into each edge's settings file before it is
	// enrolled (JSON object, e.g. the event rules); empty: DevEdgeSettings.
	EdgeSettings string
	// Seats of the demo license (default 5).
	Seats int
	// EdgeAddr and CloudAddr are the preferred listen addresses (taken if
	// free, else a free port); empty: free ports.
	EdgeAddr, CloudAddr string
	// GrantsPerMinute per device at the cloud (default 600).
	GrantsPerMinute int
	// ValidatorConcurrency is serve's -concurrency (default: the CPUs).
	ValidatorConcurrency int
	// SweepInterval is the validator's -sweep-interval: how often it lists
	// uploads/ for uploads no event announced (default 5 s, short for tests
	// and trying out; negative: at its start only). SweepMinAge is its
	// -sweep-min-age: younger uploads are left to their events (default
	// 5 s; negative: refused).
	SweepInterval, SweepMinAge time.Duration
	// Log receives progress lines (nil: discarded).
	Log *slog.Logger
}

// DevEdgeSettings make events short (an event at most 10 s, ending after
// 2 s of quiet) so that a looped clip keeps producing snapshots.
const DevEdgeSettings = `{"events": {"quiet_gap": "2s", "cooldown": "1s", "max_length": "10s"}}`

// Info is what data/dev/stack.json holds: enough for a script or a test to
// drive the running stack.
type Info struct {
	EdgeURL          string `json:"edge_url"`
	EdgeUser         string `json:"edge_user"`
	EdgePassword     string `json:"edge_password"`
	CloudURL         string `json:"cloud_url"`
	CloudEmail       string `json:"cloud_email"`
	CloudPassword    string `json:"cloud_password"`
	S3Endpoint       string `json:"s3_endpoint"`
	S3AccessKey      string `json:"s3_access_key"`
	S3SecretKey      string `json:"s3_secret_key"`
	UploadBucket     string `json:"upload_bucket"`
	ProductionBucket string `json:"production_bucket"`
	DynamoDBEndpoint string `json:"dynamodb_endpoint"`
	Table            string `json:"table"`
}

// Tenant is an account with a license, made through vigil-cloud's operator
// commands.
type Tenant struct {
	AccountID  string
	Email      string
	Password   string
	LicenseKey string
}

// Stack is the running system.
type Stack struct {
	cfg  Config
	log  *slog.Logger
	info Info
	Demo Tenant

	region, secret               string
	s3Addr, validatorAddr        string
	dynalite, s3, validator, cld *proc

	mu    sync.Mutex
	edges []*Edge
}

// Start builds (unless Config.Bin is set) and starts everything, in the
// order their dependencies need, and writes DIR/stack.json last. On error
// what was started is stopped.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	if cfg.Dir == "" {
		return nil, errors.New("stack: no directory")
	}
	if cfg.Root == "" {
		if cfg.Root, err = moduleRoot(); err != nil {
			return nil, err
		}
	}
	if cfg.Source == "" && !cfg.NoEdge {
		cfg.Source = "file:" + filepath.Join(cfg.Root, PETSClip)
	}
	if cfg.EdgeSettings == "" {
		cfg.EdgeSettings = DevEdgeSettings
	}
	if cfg.Seats <= 0 {
		cfg.Seats = 5
	}
	if cfg.GrantsPerMinute <= 0 {
		cfg.GrantsPerMinute = 600
	}
	if cfg.ValidatorConcurrency <= 0 {
		cfg.ValidatorConcurrency = runtime.NumCPU()
	}
	switch {
	case cfg.SweepInterval == 0:
		cfg.SweepInterval = 5 * time.Second
	case cfg.SweepInterval > 0 && cfg.SweepInterval < time.Second:
		return nil, fmt.Errorf("stack: sweep interval %v: at least 1s (negative: at the validator's start only)", cfg.SweepInterval)
	}
	switch {
	case cfg.SweepMinAge == 0:
		cfg.SweepMinAge = 5 * time.Second
	case cfg.SweepMinAge < 0:
		return nil, fmt.Errorf("stack: sweep minimum age %v is negative", cfg.SweepMinAge)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Dir, err = filepath.Abs(cfg.Dir); err != nil {
		return nil, err
	}
	if err := checkEmptiable(cfg.Dir); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(cfg.Dir); err != nil {
		return nil, fmt.Errorf("stack: empty %s: %w", cfg.Dir, err)
	}
	for _, d := range []string{"logs", "s3"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("stack: %w", err)
		}
	}
	s := &Stack{cfg: cfg, log: cfg.Log, region: "us-east-1", secret: randomHex(24)}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if cfg.Bin == "" {
		cfg.Bin = filepath.Join(cfg.Dir, "bin")
		s.cfg.Bin = cfg.Bin
		s.log.Info("building vigil-edge, vigil-validator and vigil-cloud", "into", cfg.Bin)
		if err := Build(ctx, cfg.Root, cfg.Bin); err != nil {
			return nil, err
		}
	}
	s.info = Info{
		S3AccessKey: "vigil" + randomHex(8), S3SecretKey: randomHex(20),
		UploadBucket: "vigil-uploads", ProductionBucket: "vigil-production", Table: "vigil",
	}
	if err := s.startDynalite(ctx); err != nil {
		return nil, err
	}
	if err := s.startValidatorAndS3(ctx); err != nil {
		return nil, err
	}
	if err := s.createBuckets(ctx); err != nil {
		return nil, err
	}
	if err := s.startCloud(ctx); err != nil {
		return nil, err
	}
	if s.Demo, err = s.NewTenant(ctx, "demo@vigil.test", cfg.Seats); err != nil {
		return nil, err
	}
	s.info.CloudEmail, s.info.CloudPassword = s.Demo.Email, s.Demo.Password
	if !cfg.NoEdge {
		e, err := s.AddEdge(ctx, "edge", cfg.Source, s.Demo.LicenseKey, cfg.EdgeAddr)
		if err != nil {
			return nil, err
		}
		s.info.EdgeURL, s.info.EdgeUser, s.info.EdgePassword = e.URL, e.User, e.Password
	}
	if err := s.writeInfo(); err != nil {
		return nil, err
	}
	return s, nil
}

// Edge returns the edge named name (the stack's own is "edge"), or nil.
func (s *Stack) Edge(name string) *Edge {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.edges {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// checkEmptiable refuses to empty a directory that is not a stack's: it
// must be missing, empty, or hold what Start writes (a mistyped -data must
// not wipe a repository).
func checkEmptiable(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	known := map[string]bool{"bin": true, "logs": true, "s3": true, "stack.json": true, "stack.json.tmp": true}
	for _, e := range entries {
		if !known[e.Name()] && !(e.IsDir() && fileExists(filepath.Join(dir, e.Name(), "config.json"))) {
			return fmt.Errorf("stack: %s holds %s, which the stack did not write: choose an empty or new directory", dir, e.Name())
		}
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Info describes the running stack (as stack.json does).
func (s *Stack) Info() Info { return s.info }

// Dir is the stack's directory.
func (s *Stack) Dir() string { return s.cfg.Dir }

// Swept is how many uploads the validator's sweeps handled (its "sweep"
// log lines, over all its runs): the uploads whose event was lost or
// refused, recovered by the validator itself.
func (s *Stack) Swept() (int, error) {
	f, err := os.Open(s.logPath("validator"))
	if err != nil {
		return 0, fmt.Errorf("stack: %w", err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.Contains(line, []byte(`"msg":"sweep"`)) {
			continue
		}
		var rec struct {
			Msg     string `json:"msg"`
			Handled *int   `json:"handled"`
		}
		if err := json.Unmarshal(line, &rec); err != nil || rec.Msg != "sweep" || rec.Handled == nil {
			return n, fmt.Errorf("stack: %s: a sweep line without its count: %.200s", s.logPath("validator"), line)
		}
		n += *rec.Handled
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("stack: %s: %w", s.logPath("validator"), err)
	}
	return n, nil
}

// writeInfo writes stack.json (0600: it holds the credentials).
func (s *Stack) writeInfo() error {
	b, err := json.MarshalIndent(s.info, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(s.cfg.Dir, "stack.json")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	return os.Rename(tmp, path)
}

// Close stops everything, the edges first and DynamoDB last; it may be
// called more than once.
func (s *Stack) Close() error {
	var errs []error
	s.mu.Lock()
	edges := s.edges
	s.mu.Unlock()
	for _, e := range edges {
		errs = append(errs, e.Stop())
	}
	for _, p := range []*proc{s.cld, s.validator, s.s3, s.dynalite} {
		if p != nil {
			errs = append(errs, p.stop(15*time.Second))
		}
	}
	return errors.Join(errs...)
}

func (s *Stack) logPath(name string) string { return filepath.Join(s.cfg.Dir, "logs", name+".log") }

func (s *Stack) bin(name string) string { return filepath.Join(s.cfg.Bin, name) }

// awsEnv is the environment of the validator and the cloud: the endpoints,
// the table, the buckets and versitygw's root credentials (dynalite takes
// any).
func (s *Stack) awsEnv() []string {
	return []string{
		"AWS_REGION=" + s.region, "AWS_ACCESS_KEY_ID=" + s.info.S3AccessKey, "AWS_SECRET_ACCESS_KEY=" + s.info.S3SecretKey,
		"VIGIL_S3_ENDPOINT=" + s.info.S3Endpoint, "VIGIL_DYNAMODB_ENDPOINT=" + s.info.DynamoDBEndpoint,
		"VIGIL_TABLE=" + s.info.Table, "VIGIL_UPLOAD_BUCKET=" + s.info.UploadBucket,
		"VIGIL_PRODUCTION_BUCKET=" + s.info.ProductionBucket,
		// The stack's own settings must not be overridden by the caller's.
		"AWS_PROFILE=", "AWS_SESSION_TOKEN=", "VIGIL_LISTEN=",
	}
}

func (s *Stack) startDynalite(ctx context.Context) error {
	node, err := exec.LookPath("node")
	if err != nil {
		if node, err = exec.LookPath("nodejs"); err != nil {
			return errors.New("stack: node not found on $PATH: run `make tools`")
		}
	}
	cli := os.Getenv("VIGIL_DYNALITE")
	if cli == "" {
		cli = filepath.Join(s.cfg.Root, "scripts", "dynalite", "node_modules", "dynalite", "cli.js")
	}
	if _, err := os.Stat(cli); err != nil {
		return fmt.Errorf("stack: dynalite not found at %s: run `make tools` (scripts/dynalite.sh install)", cli)
	}
	addr, err := freeAddr("")
	if err != nil {
		return err
	}
	_, port, _ := strings.Cut(addr, ":")
	s.info.DynamoDBEndpoint = "http://" + addr
	s.dynalite = &proc{name: "dynalite", bin: node, log: s.logPath("dynalite"),
		args: []string{cli, "--host", "127.0.0.1", "--port", port, "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"},
		ready: func(ctx context.Context) error {
			// dynalite answers an unsigned POST with a 400 and a JSON body.
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.info.DynamoDBEndpoint, strings.NewReader("{}"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			return nil
		}}
	s.log.Info("starting dynalite", "endpoint", s.info.DynamoDBEndpoint)
	if err := s.dynalite.start(ctx, 30*time.Second); err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	tab := dynamodb.New(s.DynamoClient(), s.info.Table)
	if err := tab.CreateTable(ctx); err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	return nil
}

// startValidatorAndS3 chooses versitygw's address, starts the validator
// pointing at it (versitygw posts a test event when it starts and gives up
// when nobody answers), then versitygw with its webhook.
func (s *Stack) startValidatorAndS3(ctx context.Context) error {
	var err error
	if s.s3Addr, err = freeAddr(""); err != nil {
		return err
	}
	if s.validatorAddr, err = freeAddr(""); err != nil {
		return err
	}
	s.info.S3Endpoint = "http://" + s.s3Addr
	s.validator = &proc{name: "validator", bin: s.bin("vigil-validator"), log: s.logPath("validator"),
		// Flags, not environment: they win over the caller's $VIGIL_SWEEP_*.
		args: []string{"serve", "-sweep-interval", max(s.cfg.SweepInterval, 0).String(), "-sweep-min-age", s.cfg.SweepMinAge.String()},
		env: append(s.awsEnv(), "VIGIL_WEBHOOK_SECRET="+s.secret, "VIGIL_LISTEN="+s.validatorAddr,
			fmt.Sprintf("VIGIL_CONCURRENCY=%d", s.cfg.ValidatorConcurrency)),
		ready: httpReady("http://"+s.validatorAddr+"/healthz", http.StatusOK)}
	s.log.Info("starting vigil-validator serve", "webhook", "http://"+s.validatorAddr+"/events",
		"sweep_interval", max(s.cfg.SweepInterval, 0), "sweep_min_age", s.cfg.SweepMinAge)
	if err := s.validator.start(ctx, 30*time.Second); err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	vgw, err := versitygw()
	if err != nil {
		return err
	}
	s.s3 = &proc{name: "versitygw", bin: vgw, log: s.logPath("versitygw"),
		args: []string{"--port", s.s3Addr, "--health", "/health", "--region", s.region, "--quiet", "posix", filepath.Join(s.cfg.Dir, "s3")},
		// The webhook URL holds the secret: environment, not command line.
		env: []string{"ROOT_ACCESS_KEY_ID=" + s.info.S3AccessKey, "ROOT_SECRET_ACCESS_KEY=" + s.info.S3SecretKey,
			"VGW_EVENT_WEBHOOK_URL=http://vigil:" + s.secret + "@" + s.validatorAddr + "/events"},
		ready: httpReady(s.info.S3Endpoint+"/health", http.StatusOK)}
	s.log.Info("starting versitygw", "endpoint", s.info.S3Endpoint)
	if err := s.s3.start(ctx, 30*time.Second); err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	return nil
}

func (s *Stack) createBuckets(ctx context.Context) error {
	for _, b := range []string{s.info.UploadBucket, s.info.ProductionBucket} {
		if _, err := s.S3Client().CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			return fmt.Errorf("stack: create bucket %s: %w", b, err)
		}
	}
	return nil
}

func (s *Stack) startCloud(ctx context.Context) error {
	addr, err := freeAddr(s.cfg.CloudAddr)
	if err != nil {
		return err
	}
	s.info.CloudURL = "http://" + addr
	s.cld = &proc{name: "cloud", bin: s.bin("vigil-cloud"), log: s.logPath("cloud"),
		// Plain HTTP on loopback: the session cookie cannot be Secure.
		args: []string{"serve", "-listen", addr, "-secure-cookie=false", fmt.Sprintf("-grants-per-minute=%d", s.cfg.GrantsPerMinute)},
		env:  s.awsEnv(), ready: httpReady(s.info.CloudURL+"/healthz", http.StatusOK)}
	s.log.Info("starting vigil-cloud serve", "url", s.info.CloudURL)
	if err := s.cld.start(ctx, 30*time.Second); err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	return nil
}

var (
	accountLine = regexp.MustCompile(`(?m)^account (acct_\S+)$`)
	keyLine     = regexp.MustCompile(`(?m)^license key (\S+)$`)
)

// NewTenant creates an account (with a generated password) and issues it a
// license of seats seats for a year, with vigil-cloud's operator commands.
func (s *Stack) NewTenant(ctx context.Context, email string, seats int) (Tenant, error) {
	t := Tenant{Email: email, Password: randomPassword()}
	var out bytes.Buffer
	if err := s.cloudCommand(ctx, strings.NewReader(t.Password+"\n"), &out, "account", "create", "--email", email, "--password-stdin"); err != nil {
		return t, err
	}
	m := accountLine.FindStringSubmatch(out.String())
	if m == nil {
		return t, fmt.Errorf("stack: account create said %q", out.String())
	}
	t.AccountID = m[1]
	out.Reset()
	expires := time.Now().UTC().AddDate(1, 0, 0).Format("2006-01-02")
	if err := s.cloudCommand(ctx, nil, &out, "license", "issue", "--account", t.AccountID, "--seats", fmt.Sprint(seats), "--expires", expires); err != nil {
		return t, err
	}
	if m = keyLine.FindStringSubmatch(out.String()); m == nil {
		return t, errors.New("stack: license issue printed no key")
	}
	t.LicenseKey = m[1]
	s.log.Info("account and license", "email", email, "account", t.AccountID, "seats", seats)
	return t, nil
}

// cloudCommand runs an operator command of vigil-cloud against the stack's
// table; its error output goes to the cloud's log.
func (s *Stack) cloudCommand(ctx context.Context, stdin io.Reader, stdout io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, s.bin("vigil-cloud"), args...)
	cmd.Env = append(os.Environ(), s.awsEnv()...)
	cmd.Stdin, cmd.Stdout = stdin, stdout
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("stack: vigil-cloud %s %s: %v: %s", args[0], args[1], err, strings.TrimSpace(errb.String()))
	}
	return nil
}

// S3Client is a client of versitygw with its root credentials.
func (s *Stack) S3Client() *awss3.Client {
	return awss3.New(awss3.Options{
		Region: s.region, BaseEndpoint: aws.String(s.info.S3Endpoint), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider(s.info.S3AccessKey, s.info.S3SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// DynamoClient is a client of dynalite.
func (s *Stack) DynamoClient() *ddb.Client {
	return ddb.New(ddb.Options{Region: s.region, BaseEndpoint: aws.String(s.info.DynamoDBEndpoint),
		Credentials: credentials.NewStaticCredentialsProvider(s.info.S3AccessKey, s.info.S3SecretKey, "")})
}

// Table is the stack's table through Vigil's adapter.
func (s *Stack) Table() *dynamodb.Table { return dynamodb.New(s.DynamoClient(), s.info.Table) }

// StopS3 kills versitygw (an outage: its data stay); StartS3 brings it back
// on the same address and data.
func (s *Stack) StopS3() { s.s3.kill() }

// StartS3: see StopS3.
func (s *Stack) StartS3(ctx context.Context) error {
	if err := s.s3.start(ctx, 30*time.Second); err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	return nil
}

// StopCloud stops vigil-cloud (SIGTERM); StartCloud starts it again.
func (s *Stack) StopCloud() error { return s.cld.stop(15 * time.Second) }

// StartCloud: see StopCloud.
func (s *Stack) StartCloud(ctx context.Context) error {
	if err := s.cld.start(ctx, 30*time.Second); err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	return nil
}

// KillValidator ends the validator with SIGKILL: whatever it was doing
// stops half way.
func (s *Stack) KillValidator() { s.validator.kill() }

// ValidatorRunning reports whether the validator process is alive.
func (s *Stack) ValidatorRunning() bool { return s.validator.running() }

// ValidatorPID is the validator's process ID (0: not running).
func (s *Stack) ValidatorPID() int { return s.validator.pid() }

// StartValidator starts the validator again; its start-up sweep handles
// the uploads whose events it missed while it was down.
func (s *Stack) StartValidator(ctx context.Context) error {
	if err := s.validator.start(ctx, 30*time.Second); err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	return nil
}

// moduleRoot is the directory of go.mod: from this file's path when the
// source is there, else upwards from the working directory.
func moduleRoot() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		root := filepath.Join(filepath.Dir(file), "..", "..", "..")
		if isModuleRoot(root) {
			return filepath.Abs(root)
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isModuleRoot(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("stack: the vigil module's root not found: run from the repository")
		}
		dir = parent
	}
}

func isModuleRoot(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	return sc.Scan() && strings.TrimSpace(sc.Text()) == "module vigil"
}

// Build compiles the three commands into dir: the edge with cgo as `make
// build` does, the cloud's two without.
func Build(ctx context.Context, root, dir string) error {
	for _, b := range []struct {
		pkg string
		cgo string
	}{{"./cmd/vigil-edge", ""}, {"./cmd/vigil-validator", "0"}, {"./cmd/vigil-cloud", "0"}} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator), b.pkg)
		cmd.Dir = root
		cmd.Env = os.Environ()
		if b.cgo != "" {
			cmd.Env = append(cmd.Env, "CGO_ENABLED="+b.cgo)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("stack: go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return nil
}

// versitygw finds the binary as the tests do: $VIGIL_VERSITYGW, $PATH,
// then $(go env GOPATH)/bin where `make tools` installs it.
func versitygw() (string, error) {
	if p := os.Getenv("VIGIL_VERSITYGW"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		var dirs []string
		if len(lines) > 0 && strings.TrimSpace(lines[0]) != "" {
			dirs = append(dirs, strings.TrimSpace(lines[0]))
		}
		if len(lines) > 1 {
			for _, d := range filepath.SplitList(strings.TrimSpace(lines[1])) {
				dirs = append(dirs, filepath.Join(d, "bin"))
			}
		}
		for _, d := range dirs {
			p := filepath.Join(d, "versitygw")
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p, nil
			}
		}
	}
	return "", errors.New("stack: versitygw not found: run `make tools` (scripts/versitygw.sh install)")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// randomPassword is 26 random base32 characters (130 bits).
func randomPassword() string { return rand.Text() }
