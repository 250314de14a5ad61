package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is one child process of the stack: started, waited for until it
// answers, stopped gently (SIGTERM) or killed (SIGKILL), and started again
// with the same command line, environment and data.
type proc struct {
	name  string
	bin   string
	args  []string
	env   []string // added to the stack's environment
	dir   string   // working directory ("" = the caller's)
	log   string   // file the output is appended to
	ready func(ctx context.Context) error

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// errExited is returned by start when the process ends before it is ready.
var errExited = errors.New("exited before it was ready")

// start runs the process and waits (up to timeout) until ready answers.
func (p *proc) start(ctx context.Context, timeout time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("%s: already running", p.name)
	}
	out, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("%s: log: %w", p.name, err)
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group: a Ctrl-C in the terminal reaches the stack
	// alone, which stops the children in order. Pdeathsig: a stack that
	// dies without cleaning up takes its children with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("%s: %w", p.name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(exited)
	}()
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := p.ready(rctx)
		if err == nil {
			p.cmd, p.exited = cmd, exited
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%s: %w (log: %s)\n%s", p.name, errExited, p.log, tail(p.log, 8))
		case <-rctx.Done():
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("%s: not ready within %v: %v (log: %s)\n%s", p.name, timeout, err, p.log, tail(p.log, 8))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// running reports whether the process was started and has not ended.
func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// pid is the process ID (0 when it does not run).
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// stop asks the process to end (SIGTERM) and kills it after grace.
// Stopping a stopped process does nothing.
func (p *proc) stop(grace time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case <-p.exited:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.exited
		err = fmt.Errorf("%s: did not stop within %v of SIGTERM: killed", p.name, grace)
	}
	p.cmd, p.exited = nil, nil
	return err
}

// kill ends the process at once (SIGKILL): a crash, not a shutdown.
func (p *proc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	p.cmd, p.exited = nil, nil
}

// httpReady is a readiness check: GET url answers want.
func httpReady(url string, want int) func(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if resp.StatusCode != want {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}
}

// freeAddr returns a loopback address with a free port; preferred first
// when it is free.
func freeAddr(preferred string) (string, error) {
	if preferred != "" {
		if l, err := net.Listen("tcp", preferred); err == nil {
			addr := l.Addr().String()
			return addr, l.Close()
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// tail returns the last n lines of a file, indented, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	lines = lines[max(0, len(lines)-n):]
	return "    " + strings.Join(lines, "\n    ")
}
