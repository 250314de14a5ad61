package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"vigil/domain"
)

// CreateAccount stores a new account and its owner: the user's e-mail
// lookup item first (Conflict when the address is taken), then the
// account; the lookup is removed again if the account cannot be written.
func (t *Table) CreateAccount(ctx context.Context, a domain.Account, u domain.User) error {
	const op = "create account"
	if err := checkAccount(op, a.ID); err != nil {
		return err
	}
	if u.AccountID != a.ID || u.Email == "" || u.PasswordHash == "" {
		return domain.E(op, domain.Invalid, errors.New("the user must belong to the account and have an e-mail and a password hash"))
	}
	err := t.putNew(ctx, op, item{"PK": s(userPK + u.Email), "SK": s("USER"), "AccountID": s(a.ID),
		"PasswordHash": s(u.PasswordHash), "CreatedMs": ms(u.Created)})
	if isConflict(err) {
		return domain.E(op, domain.Conflict, fmt.Errorf("%s has an account already", u.Email))
	}
	if err != nil {
		return err
	}
	err = t.putNew(ctx, op, item{"PK": s(accountPK + a.ID), "SK": s(accountSK), "Email": s(a.Email), "CreatedMs": ms(a.Created)})
	if err != nil {
		_ = t.del(context.WithoutCancel(ctx), op, key(userPK+u.Email, "USER"))
		if isConflict(err) {
			return domain.E(op, domain.Conflict, fmt.Errorf("account %s exists already", a.ID))
		}
		return err
	}
	return nil
}

// Account returns an account; NotFound when there is none.
func (t *Table) Account(ctx context.Context, acct string) (domain.Account, error) {
	const op = "account"
	if err := checkAccount(op, acct); err != nil {
		return domain.Account{}, err
	}
	it, err := t.get(ctx, op, key(accountPK+acct, accountSK))
	if err != nil {
		return domain.Account{}, err
	}
	if it == nil {
		return domain.Account{}, domain.E(op, domain.NotFound, fmt.Errorf("no account %s", acct))
	}
	return domain.Account{ID: acct, Email: getS(it, "Email"), Created: getT(it, "CreatedMs")}, nil
}

// User returns the user signing in with email (normalised); NotFound when
// there is none.
func (t *Table) User(ctx context.Context, email string) (domain.User, error) {
	const op = "user"
	it, err := t.get(ctx, op, key(userPK+email, "USER"))
	if err != nil {
		return domain.User{}, err
	}
	if it == nil {
		return domain.User{}, domain.E(op, domain.NotFound, errors.New("no such user"))
	}
	return domain.User{Email: email, AccountID: getS(it, "AccountID"), PasswordHash: getS(it, "PasswordHash"), Created: getT(it, "CreatedMs")}, nil
}

// IssueLicense gives l to its account: a first license, or a renewal that
// replaces the key, the seats and the expiry of the one it has (seats in
// use stay taken; Conflict when l has fewer seats than are in use). The
// new key's lookup item is written first; the old key's is deleted last.
func (t *Table) IssueLicense(ctx context.Context, l domain.License) error {
	const op = "issue license"
	if err := checkAccount(op, l.AccountID); err != nil {
		return err
	}
	if _, err := t.Account(ctx, l.AccountID); err != nil {
		return err
	}
	old, err := t.License(ctx, l.AccountID)
	if err != nil && domain.KindOf(err) != domain.NotFound {
		return err
	}
	if err := t.putNew(ctx, op, item{"PK": s(licenseKeyPK + l.KeyHash), "SK": s("LICENSEKEY"), "AccountID": s(l.AccountID)}); err != nil {
		return err
	}
	_, err = t.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName:                aws.String(t.name),
		Key:                      key(accountPK+l.AccountID, licenseSK),
		UpdateExpression:         aws.String("SET KeyHash = :kh, Seats = :seats, SeatsUsed = if_not_exists(SeatsUsed, :zero), #st = :state, IssuedMs = :issued, ExpiresMs = :expires"),
		ConditionExpression:      aws.String("attribute_not_exists(PK) OR SeatsUsed <= :seats"),
		ExpressionAttributeNames: map[string]string{"#st": "State"},
		ExpressionAttributeValues: item{":kh": s(l.KeyHash), ":seats": n(int64(l.Seats)), ":zero": n(0),
			":state": s(string(domain.LicenseActive)), ":issued": ms(l.Issued), ":expires": ms(l.Expires)},
	})
	if err = wrap(op, err); err != nil {
		_ = t.del(context.WithoutCancel(ctx), op, key(licenseKeyPK+l.KeyHash, "LICENSEKEY"))
		if isConflict(err) {
			return domain.E(op, domain.Conflict, fmt.Errorf("%d seats are in use, more than the %d of the new license: revoke devices first", old.SeatsUsed, l.Seats))
		}
		return err
	}
	if old.KeyHash != "" && old.KeyHash != l.KeyHash {
		if err := t.del(ctx, op, key(licenseKeyPK+old.KeyHash, "LICENSEKEY")); err != nil {
			return err
		}
	}
	return nil
}

// SetLicenseState suspends or reactivates an account's license.
func (t *Table) SetLicenseState(ctx context.Context, acct string, state domain.LicenseState) error {
	const op = "license state"
	if err := checkAccount(op, acct); err != nil {
		return err
	}
	if state != domain.LicenseActive && state != domain.LicenseSuspended {
		return domain.E(op, domain.Invalid, fmt.Errorf("state %q: want active or suspended", state))
	}
	_, err := t.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName: aws.String(t.name), Key: key(accountPK+acct, licenseSK),
		UpdateExpression:          aws.String("SET #st = :state"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeNames:  map[string]string{"#st": "State"},
		ExpressionAttributeValues: item{":state": s(string(state))},
	})
	if isConflict(wrap(op, err)) {
		return domain.E(op, domain.NotFound, fmt.Errorf("account %s has no license", acct))
	}
	return wrap(op, err)
}

// License returns an account's license; NotFound when it has none.
func (t *Table) License(ctx context.Context, acct string) (domain.License, error) {
	const op = "license"
	if err := checkAccount(op, acct); err != nil {
		return domain.License{}, err
	}
	it, err := t.get(ctx, op, key(accountPK+acct, licenseSK))
	if err != nil {
		return domain.License{}, err
	}
	if it == nil {
		return domain.License{}, domain.E(op, domain.NotFound, fmt.Errorf("account %s has no license", acct))
	}
	return licenseFrom(acct, it), nil
}

func licenseFrom(acct string, it item) domain.License {
	return domain.License{AccountID: acct, KeyHash: getS(it, "KeyHash"), Seats: int(getN(it, "Seats")),
		SeatsUsed: int(getN(it, "SeatsUsed")), State: domain.LicenseState(getS(it, "State")),
		Issued: getT(it, "IssuedMs"), Expires: getT(it, "ExpiresMs")}
}

// LicenseByKey returns the license whose key hashes to keyHash;
// Unauthorized when no license has that key.
func (t *Table) LicenseByKey(ctx context.Context, keyHash string) (domain.License, error) {
	const op = "license key"
	it, err := t.get(ctx, op, key(licenseKeyPK+keyHash, "LICENSEKEY"))
	if err != nil {
		return domain.License{}, err
	}
	if it == nil {
		return domain.License{}, domain.E(op, domain.Unauthorized, errors.New("unknown license key"))
	}
	l, err := t.License(ctx, getS(it, "AccountID"))
	if err != nil {
		return domain.License{}, err
	}
	if l.KeyHash != keyHash { // replaced meanwhile
		return domain.License{}, domain.E(op, domain.Unauthorized, errors.New("unknown license key"))
	}
	return l, nil
}

// Enroll takes a seat of the license whose key hashes to keyHash for d
// (d.AccountID must be that license's account) and stores d: the seat by a
// conditional update (a free seat, active, not expired, the same key) that
// also adds d.ID to the license's SeatHolders, then the device's lookup and
// item, each conditional on not existing. When a write fails after the seat
// was taken, the seat is given back unless d's item is stored after all (a
// write that committed although its answer was lost). Unlicensed when the
// license admits no new device (the error says why).
func (t *Table) Enroll(ctx context.Context, d domain.Device, keyHash string, now time.Time) error {
	const op = "enroll"
	if err := checkAccount(op, d.AccountID); err != nil {
		return err
	}
	if err := checkDevice(op, d.ID); err != nil {
		return err
	}
	_, err := t.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName: aws.String(t.name), Key: key(accountPK+d.AccountID, licenseSK),
		UpdateExpression: aws.String("SET SeatsUsed = SeatsUsed + :one ADD SeatHolders :dev"),
		ConditionExpression: aws.String("SeatsUsed < Seats AND #st = :active AND ExpiresMs > :now AND KeyHash = :kh" +
			" AND NOT contains(SeatHolders, :id)"),
		ExpressionAttributeNames: map[string]string{"#st": "State"},
		ExpressionAttributeValues: item{":one": n(1), ":active": s(string(domain.LicenseActive)),
			":now": n(now.UnixMilli()), ":kh": s(keyHash), ":dev": ss(d.ID), ":id": s(d.ID)},
	})
	if err != nil {
		if !isConflict(wrap(op, err)) {
			return wrap(op, err)
		}
		l, lerr := t.License(ctx, d.AccountID)
		if lerr != nil {
			return lerr
		}
		if l.KeyHash != keyHash {
			return domain.E(op, domain.Unauthorized, errors.New("unknown license key"))
		}
		if why := l.CanEnroll(now); why != nil {
			return why
		}
		return domain.E(op, domain.Unavailable, errors.New("the license changed meanwhile: try again"))
	}
	err = t.putNew(ctx, op, item{"PK": s(devicePK + d.ID), "SK": s("DEVICE"), "AccountID": s(d.AccountID)})
	lookupOurs := err == nil
	if err == nil {
		it := deviceItem(d)
		it["SeatTracked"] = b(true)
		err = t.putNew(ctx, op, it)
	}
	if err == nil {
		return nil
	}
	bg := context.WithoutCancel(ctx)
	if lookupOurs {
		stored, gerr := t.get(bg, op, key(accountPK+d.AccountID, deviceSK+d.ID))
		if gerr != nil { // cannot tell: keep the seat rather than free one in use
			return errors.Join(err, gerr)
		}
		if stored != nil && getS(stored, "SecretHash") == d.SecretHash {
			return nil // the write committed; only its answer was lost
		}
		_ = t.del(bg, op, key(devicePK+d.ID, "DEVICE"))
	}
	if rerr := t.returnHeldSeat(bg, d.AccountID, d.ID); rerr != nil {
		return errors.Join(err, rerr)
	}
	if isConflict(err) {
		return domain.E(op, domain.Conflict, fmt.Errorf("device %s exists already", d.ID))
	}
	return err
}

// returnHeldSeat gives back the seat device dev holds: one conditional
// update decrements SeatsUsed and removes dev from SeatHolders, so doing it
// again (a retry after a lost answer) gives nothing back twice.
func (t *Table) returnHeldSeat(ctx context.Context, acct, dev string) error {
	_, err := t.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName: aws.String(t.name), Key: key(accountPK+acct, licenseSK),
		UpdateExpression:          aws.String("SET SeatsUsed = SeatsUsed - :one DELETE SeatHolders :dev"),
		ConditionExpression:       aws.String("contains(SeatHolders, :id) AND SeatsUsed > :zero"),
		ExpressionAttributeValues: item{":one": n(1), ":zero": n(0), ":dev": ss(dev), ":id": s(dev)},
	})
	if isConflict(wrap("", err)) {
		return nil // nothing to give back
	}
	return wrap("return seat", err)
}

// returnSeat gives back a seat of a device enrolled before seats were
// tracked per device (no SeatTracked on its item): a plain decrement.
func (t *Table) returnSeat(ctx context.Context, acct string) error {
	_, err := t.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName: aws.String(t.name), Key: key(accountPK+acct, licenseSK),
		UpdateExpression:          aws.String("SET SeatsUsed = SeatsUsed - :one"),
		ConditionExpression:       aws.String("SeatsUsed > :zero"),
		ExpressionAttributeValues: item{":one": n(1), ":zero": n(0)},
	})
	if isConflict(wrap("", err)) {
		return nil // nothing to give back
	}
	return wrap("return seat", err)
}

func deviceItem(d domain.Device) item {
	return item{"PK": s(accountPK + d.AccountID), "SK": s(deviceSK + d.ID), "Name": s(d.Name),
		"SecretHash": s(d.SecretHash), "EnrolledMs": ms(d.Enrolled), "Revoked": b(d.Revoked),
		"RevokedMs": ms(d.RevokedAt), "LastUploadMs": ms(d.LastUpload)}
}

func deviceFrom(acct string, it item) domain.Device {
	return domain.Device{AccountID: acct, ID: getS(it, "SK")[len(deviceSK):], Name: getS(it, "Name"),
		SecretHash: getS(it, "SecretHash"), Enrolled: getT(it, "EnrolledMs"), Revoked: getB(it, "Revoked"),
		RevokedAt: getT(it, "RevokedMs"), LastUpload: getT(it, "LastUploadMs")}
}

// Device returns one device of an account; NotFound when the account has
// no such device.
func (t *Table) Device(ctx context.Context, acct, dev string) (domain.Device, error) {
	const op = "device"
	if err := checkAccount(op, acct); err != nil {
		return domain.Device{}, err
	}
	if err := checkDevice(op, dev); err != nil {
		return domain.Device{}, err
	}
	it, err := t.get(ctx, op, key(accountPK+acct, deviceSK+dev))
	if err != nil {
		return domain.Device{}, err
	}
	if it == nil {
		return domain.Device{}, domain.E(op, domain.NotFound, fmt.Errorf("no device %s", dev))
	}
	return deviceFrom(acct, it), nil
}

// DeviceByID returns a device by its ID alone (for device authentication);
// NotFound when there is none.
func (t *Table) DeviceByID(ctx context.Context, dev string) (domain.Device, error) {
	const op = "device"
	if err := checkDevice(op, dev); err != nil {
		return domain.Device{}, err
	}
	it, err := t.get(ctx, op, key(devicePK+dev, "DEVICE"))
	if err != nil {
		return domain.Device{}, err
	}
	if it == nil {
		return domain.Device{}, domain.E(op, domain.NotFound, fmt.Errorf("no device %s", dev))
	}
	return t.Device(ctx, getS(it, "AccountID"), dev)
}

// Devices lists an account's devices, revoked ones included, oldest
// enrollment first.
func (t *Table) Devices(ctx context.Context, acct string) ([]domain.Device, error) {
	const op = "devices"
	if err := checkAccount(op, acct); err != nil {
		return nil, err
	}
	var out []domain.Device
	p := ddb.NewQueryPaginator(t.client, &ddb.QueryInput{
		TableName:                 aws.String(t.name),
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: item{":pk": s(accountPK + acct), ":sk": s(deviceSK)},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap(op, err)
		}
		for _, it := range page.Items {
			out = append(out, deviceFrom(acct, it))
		}
	}
	sortDevices(out)
	return out, nil
}

func sortDevices(ds []domain.Device) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j].Enrolled.Before(ds[j-1].Enrolled); j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

// Revoke marks an account's device revoked at now (its secret stops
// working at once) and gives its seat back. NotFound when the account has
// no such device. Revoking a revoked device changes nothing but completes
// a seat return that failed before: the seat leaves the license's
// SeatHolders in the same update that frees it, so it is freed once.
func (t *Table) Revoke(ctx context.Context, acct, dev string, now time.Time) error {
	const op = "revoke"
	if err := checkAccount(op, acct); err != nil {
		return err
	}
	if err := checkDevice(op, dev); err != nil {
		return err
	}
	out, err := t.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName: aws.String(t.name), Key: key(accountPK+acct, deviceSK+dev),
		UpdateExpression:          aws.String("SET Revoked = :true, RevokedMs = :now"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND Revoked = :false"),
		ExpressionAttributeValues: item{":true": b(true), ":false": b(false), ":now": ms(now)},
		ReturnValues:              types.ReturnValueAllOld,
	})
	if err != nil {
		if !isConflict(wrap(op, err)) {
			return wrap(op, err)
		}
		it, gerr := t.get(ctx, op, key(accountPK+acct, deviceSK+dev))
		if gerr != nil {
			return gerr
		}
		if it == nil {
			return domain.E(op, domain.NotFound, fmt.Errorf("no device %s", dev))
		}
		if !getB(it, "SeatTracked") {
			return nil // revoked already; its seat was returned then
		}
		return t.returnHeldSeat(context.WithoutCancel(ctx), acct, dev)
	}
	if !getB(out.Attributes, "SeatTracked") {
		return t.returnSeat(context.WithoutCancel(ctx), acct)
	}
	return t.returnHeldSeat(context.WithoutCancel(ctx), acct, dev)
}

// Standing implements ports.Directory.
func (t *Table) Standing(ctx context.Context, acct, dev string) (domain.Standing, error) {
	d, err := t.Device(ctx, acct, dev)
	if err != nil {
		return domain.Standing{}, err
	}
	l, err := t.License(ctx, acct)
	if err != nil {
		return domain.Standing{}, err
	}
	return domain.Standing{Device: d, License: l}, nil
}

// SetLogger makes the table log, at warn, what it cannot answer as an
// error (a device's last upload that was not recorded); call it before the
// table is used. Without it such failures are not logged.
func (t *Table) SetLogger(log *slog.Logger) { t.log = log }

// touchDevice records an upload's time on its device (never moving it
// back). It is best effort after the image is recorded: a failure other
// than the condition (a later upload recorded already) is logged at warn.
func (t *Table) touchDevice(ctx context.Context, acct, dev string, at time.Time) {
	_, err := t.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName: aws.String(t.name), Key: key(accountPK+acct, deviceSK+dev),
		UpdateExpression:          aws.String("SET LastUploadMs = :t"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND LastUploadMs < :t"),
		ExpressionAttributeValues: item{":t": ms(at)},
	})
	if err = wrap("touch device", err); err != nil && !isConflict(err) && t.log != nil {
		t.log.Warn("the device's last upload was not recorded", "account", acct, "device", dev, "err", err)
	}
}

// ss is a string set of one element.
func ss(v string) types.AttributeValue { return &types.AttributeValueMemberSS{Value: []string{v}} }
