package dynamodb

import (
	"context"
	"errors"
	"fmt"
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

// Allow counts one attempt for key and reports whether it keeps key within
// limit attempts in every interval of length window: a sliding window of
// domain.RateSlots slots, one item per slot in the key's partition. One
// consistent Query sums the earlier slots of the window; a conditional
// update of the current slot then admits the attempt only while the total
// stays below limit, so every instance of the app shares the count.
// Attempts racing across a slot boundary may each miss the other's count:
// the limit can be exceeded by the requests in flight at that instant.
func (t *Table) Allow(ctx context.Context, k string, limit int, window time.Duration, now time.Time) (bool, error) {
	const op = "rate limit"
	if limit < 1 || window <= 0 || k == "" {
		return false, domain.E(op, domain.Invalid, fmt.Errorf("limit %d per %s for %q", limit, window, k))
	}
	slot := domain.RateSlot(now, window)
	used, err := t.rateUsed(ctx, k, slot-domain.RateSlots, slot-1)
	if err != nil {
		return false, wrap(op, err)
	}
	if used >= int64(limit) {
		return false, nil
	}
	expires := domain.RateSlotEnd(slot, window).Add(window + time.Minute)
	_, err = t.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName: aws.String(t.name), Key: key(ratePK+k, rateSK(slot)),
		UpdateExpression:          aws.String("SET #ttl = :ttl ADD #n :one"),
		ConditionExpression:       aws.String("attribute_not_exists(#n) OR #n < :room"),
		ExpressionAttributeNames:  map[string]string{"#ttl": "ttl", "#n": "N"},
		ExpressionAttributeValues: item{":one": n(1), ":room": n(int64(limit) - used), ":ttl": n(expires.Unix())},
	})
	if err != nil {
		if isConflict(wrap(op, err)) {
			return false, nil
		}
		return false, wrap(op, err)
	}
	return true, nil
}

// Used implements ports.RateLimiter: one consistent Query of the window's
// slots, the current one included.
func (t *Table) Used(ctx context.Context, k string, window time.Duration, now time.Time) (int, error) {
	const op = "rate limit"
	if window <= 0 || k == "" {
		return 0, domain.E(op, domain.Invalid, fmt.Errorf("window %s for %q", window, k))
	}
	slot := domain.RateSlot(now, window)
	used, err := t.rateUsed(ctx, k, slot-domain.RateSlots, slot)
	return int(used), wrap(op, err)
}

// rateUsed sums the counts of key's slots from..to.
func (t *Table) rateUsed(ctx context.Context, k string, from, to int64) (int64, error) {
	out, err := t.client.Query(ctx, &ddb.QueryInput{
		TableName:                 aws.String(t.name),
		ConsistentRead:            aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk AND SK BETWEEN :from AND :to"),
		ProjectionExpression:      aws.String("#n"),
		ExpressionAttributeNames:  map[string]string{"#n": "N"},
		ExpressionAttributeValues: item{":pk": s(ratePK + k), ":from": s(rateSK(from)), ":to": s(rateSK(to))},
	})
	if err != nil {
		return 0, err
	}
	used := int64(0)
	for _, it := range out.Items {
		used += getN(it, "N")
	}
	return used, nil
}

// rateSK is the sort key of a rate-limit slot: fixed-width digits, so slots
// sort in time order.
func rateSK(slot int64) string { return fmt.Sprintf("SLOT#%020d", slot) }
