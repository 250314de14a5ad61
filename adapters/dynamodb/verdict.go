package dynamodb

import (
	"context"
	"fmt"
	"strings"

	"vigil/domain"
	"vigil/ports"
)

var _ ports.Verdicts = (*Table)(nil)

// verdictSK starts the sort key of an upload's verdict (see doc.go).
const verdictSK = "VERDICT#"

const (
	verdictAccepted = "accepted"
	verdictRejected = "rejected"
)

// verdictKey is the key of the verdict of the upload ID id of the
// account's device: under the account, or the REJECTED partition when the
// upload's key named no valid account (such an upload is never accepted).
func verdictKey(op, acct, dev, id string) (item, error) {
	if id == "" || len(id) > 128 || strings.ContainsAny(id, "#\x00") {
		return nil, domain.E(op, domain.Invalid, fmt.Errorf("upload id %q", id))
	}
	if dev != "" {
		if err := checkDevice(op, dev); err != nil {
			return nil, err
		}
	}
	pk := accountPK + acct
	if acct == "" {
		pk = rejectedPK
	} else if err := checkAccount(op, acct); err != nil {
		return nil, err
	}
	return key(pk, verdictSK+dev+"#"+id), nil
}

// Verdict implements ports.Verdicts (a consistent read).
func (t *Table) Verdict(ctx context.Context, acct, dev, id string) (domain.UploadVerdict, bool, error) {
	const op = "verdict"
	k, err := verdictKey(op, acct, dev, id)
	if err != nil {
		return domain.UploadVerdict{}, false, err
	}
	it, err := t.get(ctx, op, k)
	if err != nil || it == nil {
		return domain.UploadVerdict{}, false, err
	}
	v, err := verdictFrom(it)
	if err != nil {
		return domain.UploadVerdict{}, false, domain.E(op, domain.Unavailable, err)
	}
	return v, true, nil
}

// Settle implements ports.Verdicts: a put conditional on the verdict's
// absence; when it finds one, the recorded verdict is read (consistently)
// and returned.
func (t *Table) Settle(ctx context.Context, v domain.UploadVerdict) (domain.UploadVerdict, bool, error) {
	const op = "settle verdict"
	if v.Accepted && (v.Reason != "" || !domain.ValidAccountID(v.AccountID) || !domain.ValidDeviceID(v.DeviceID)) {
		return domain.UploadVerdict{}, false, domain.E(op, domain.Invalid, fmt.Errorf("an accepted upload %q needs an account and a device and no reason", v.ID))
	}
	if !v.Accepted && v.Reason == "" {
		return domain.UploadVerdict{}, false, domain.E(op, domain.Invalid, fmt.Errorf("a rejected upload %q needs a reason", v.ID))
	}
	k, err := verdictKey(op, v.AccountID, v.DeviceID, v.ID)
	if err != nil {
		return domain.UploadVerdict{}, false, err
	}
	state := verdictRejected
	if v.Accepted {
		state = verdictAccepted
	}
	it := item{"PK": k["PK"], "SK": k["SK"], "AccountID": s(v.AccountID), "DeviceID": s(v.DeviceID), "UploadID": s(v.ID),
		"Verdict": s(state), "Reason": s(string(v.Reason)), "Detail": s(v.Detail), "SourceKey": s(v.SourceKey),
		"Bytes": n(v.Bytes), "SHA256": s(v.SHA256), "AtMs": ms(v.At)}
	err = t.putNew(ctx, op, it)
	if err == nil {
		return v, true, nil
	}
	if !isConflict(err) {
		return domain.UploadVerdict{}, false, err
	}
	got, ok, err := t.Verdict(ctx, v.AccountID, v.DeviceID, v.ID)
	if err != nil {
		return domain.UploadVerdict{}, false, err
	}
	if !ok { // verdicts are never deleted
		return domain.UploadVerdict{}, false, domain.E(op, domain.Unavailable, fmt.Errorf("the verdict of %s was there and is gone", v.ID))
	}
	return got, false, nil
}

func verdictFrom(it item) (domain.UploadVerdict, error) {
	v := domain.UploadVerdict{AccountID: getS(it, "AccountID"), DeviceID: getS(it, "DeviceID"), ID: getS(it, "UploadID"),
		Reason: domain.Reason(getS(it, "Reason")), Detail: getS(it, "Detail"), SourceKey: getS(it, "SourceKey"),
		Bytes: getN(it, "Bytes"), SHA256: getS(it, "SHA256"), At: getT(it, "AtMs")}
	switch state := getS(it, "Verdict"); state {
	case verdictAccepted:
		v.Accepted = true
	case verdictRejected:
	default:
		return domain.UploadVerdict{}, fmt.Errorf("the verdict item of %s holds %q", v.ID, state)
	}
	return v, nil
}
