package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"vigil/domain"
)

// PutSession stores a new session (Conflict if its token hash exists).
func (t *Table) PutSession(ctx context.Context, se domain.Session) error {
	const op = "put session"
	if err := checkAccount(op, se.AccountID); err != nil {
		return err
	}
	if se.TokenHash == "" || se.CSRF == "" {
		return domain.E(op, domain.Invalid, errors.New("a session needs a token hash and a CSRF token"))
	}
	return t.putNew(ctx, op, item{"PK": s(sessionPK + se.TokenHash), "SK": s("SESSION"), "AccountID": s(se.AccountID),
		"Email": s(se.Email), "CSRF": s(se.CSRF), "CreatedMs": ms(se.Created), "ExpiresMs": ms(se.Expires),
		"ttl": n(se.Expires.Unix())})
}

// Session returns the session whose token hashes to tokenHash;
// Unauthorized when there is none or it expired by now.
func (t *Table) Session(ctx context.Context, tokenHash string, now time.Time) (domain.Session, error) {
	const op = "session"
	it, err := t.get(ctx, op, key(sessionPK+tokenHash, "SESSION"))
	if err != nil {
		return domain.Session{}, err
	}
	se := domain.Session{TokenHash: tokenHash, AccountID: getS(it, "AccountID"), Email: getS(it, "Email"),
		CSRF: getS(it, "CSRF"), Created: getT(it, "CreatedMs"), Expires: getT(it, "ExpiresMs")}
	if it == nil || !se.Valid(now) {
		return domain.Session{}, domain.E(op, domain.Unauthorized, errors.New("no such session, or it expired"))
	}
	return se, nil
}

// DeleteSession ends a session (signing out); ending an ended one does
// nothing.
func (t *Table) DeleteSession(ctx context.Context, tokenHash string) error {
	return t.del(ctx, "delete session", key(sessionPK+tokenHash, "SESSION"))
}

// Allow counts one attempt for key in the fixed window of length window
// around now and reports whether it is within limit. The counter is a
// conditional update, so every instance of the app shares it.
func (t *Table) Allow(ctx context.Context, k string, limit int, window time.Duration, now time.Time) (bool, error) {
	const op = "rate limit"
	if limit < 1 || window <= 0 || k == "" {
		return false, domain.E(op, domain.Invalid, fmt.Errorf("limit %d per %s for %q", limit, window, k))
	}
	slot := now.UnixNano() / int64(window)
	end := time.Unix(0, (slot+1)*int64(window))
	_, err := t.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName: aws.String(t.name), Key: key(ratePK+k+"#"+strconv.FormatInt(slot, 10), "RATE"),
		UpdateExpression:          aws.String("SET #ttl = :ttl ADD #n :one"),
		ConditionExpression:       aws.String("attribute_not_exists(#n) OR #n < :limit"),
		ExpressionAttributeNames:  map[string]string{"#ttl": "ttl", "#n": "N"},
		ExpressionAttributeValues: item{":one": n(1), ":limit": n(int64(limit)), ":ttl": n(end.Unix() + 60)},
	})
	if err != nil {
		if isConflict(wrap(op, err)) {
			return false, nil
		}
		return false, wrap(op, err)
	}
	return true, nil
}
