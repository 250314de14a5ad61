package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"vigil/app/cloud"
	"vigil/domain"
)

type domainGrant = domain.UploadGrant

// runAccountCreate: vigil-cloud account create --email ADDR [--password-stdin].
// Without --password-stdin a random password is made and printed once.
func runAccountCreate(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := defaults()
	fs := flag.NewFlagSet("vigil-cloud account create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.flags(fs, false)
	email := fs.String("email", "", "the owner's sign-in address (required)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (else one is made and printed once)")
	if err := c.parse(fs, args, getenv, false); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("--email is required")
	}
	var password string
	if *fromStdin {
		line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		b := make([]byte, 15)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		password = base64.RawURLEncoding.EncodeToString(b)
	}
	svc, err := newService(ctx, c, getenv, false)
	if err != nil {
		return err
	}
	a, err := svc.CreateAccount(ctx, *email, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account %s\nemail %s\n", a.ID, a.Email)
	if !*fromStdin {
		fmt.Fprintf(stdout, "password %s\n(shown once: give it to the owner)\n", password)
	}
	return nil
}

// parseDate reads --expires: YYYY-MM-DD (the end of that day, UTC) or
// RFC 3339.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Add(24*time.Hour - time.Millisecond), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--expires %q: want YYYY-MM-DD or RFC 3339", s)
}

// runLicenseIssue: vigil-cloud license issue --account ID --seats N --expires DATE.
func runLicenseIssue(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := defaults()
	fs := flag.NewFlagSet("vigil-cloud license issue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.flags(fs, false)
	acct := fs.String("account", "", "the account's ID, acct_… (required)")
	seats := fs.Int("seats", 0, "how many devices may be enrolled (required)")
	expires := fs.String("expires", "", "last day of validity, YYYY-MM-DD (UTC) or RFC 3339 (required)")
	if err := c.parse(fs, args, getenv, false); err != nil {
		return err
	}
	var errs []error
	if !domain.ValidAccountID(*acct) {
		errs = append(errs, fmt.Errorf("--account %q: want acct_<ULID>", *acct))
	}
	if *seats < 1 {
		errs = append(errs, fmt.Errorf("--seats %d: want at least 1", *seats))
	}
	exp, err := parseDate(*expires)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	svc, err := newService(ctx, c, getenv, false)
	if err != nil {
		return err
	}
	key, l, err := svc.IssueLicense(ctx, *acct, *seats, exp)
	if err != nil && !errors.Is(err, cloud.ErrIssued) {
		return err
	}
	if err != nil { // issued: the key must be shown all the same
		fmt.Fprintf(stderr, "warning: %v\n", err)
	}
	fmt.Fprintf(stdout, "license key %s\n(shown once: it is stored only as a hash)\naccount %s\nseats %d (%d in use)\nexpires %s\n",
		key, l.AccountID, l.Seats, l.SeatsUsed, l.Expires.UTC().Format(time.RFC3339))
	return nil
}

// runLicenseState: vigil-cloud license suspend|resume --account ID.
func runLicenseState(ctx context.Context, verb string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := defaults()
	fs := flag.NewFlagSet("vigil-cloud license "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.flags(fs, false)
	acct := fs.String("account", "", "the account's ID, acct_… (required)")
	if err := c.parse(fs, args, getenv, false); err != nil {
		return err
	}
	if !domain.ValidAccountID(*acct) {
		return fmt.Errorf("--account %q: want acct_<ULID>", *acct)
	}
	svc, err := newService(ctx, c, getenv, false)
	if err != nil {
		return err
	}
	state := domain.LicenseSuspended
	if verb == "resume" {
		state = domain.LicenseActive
	}
	if err := svc.SetLicenseState(ctx, *acct, state); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "license of %s: %s\n", *acct, state)
	return nil
}
