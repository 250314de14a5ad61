package dynamodb

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"vigil/domain"
)

// imageSortKey is the SK of an image: its event's time, device and ID.
func imageSortKey(dev, id string) (string, error) {
	ev, _, err := domain.ParseSnapshotName(id + ".jpg")
	if err != nil {
		return "", domain.E("image", domain.Invalid, fmt.Errorf("image id %q: want {eventID}-{n}", id))
	}
	return imageSK + ts(ev.Time()) + "#" + dev + "#" + id, nil
}

// PutImage implements ports.ImageIndex: a conditional put (Conflict when
// the image is recorded already). It also moves the device's last upload
// time forward.
func (t *Table) PutImage(ctx context.Context, img domain.ImageRecord) error {
	const op = "put image"
	if err := checkAccount(op, img.AccountID); err != nil {
		return err
	}
	if err := checkDevice(op, img.DeviceID); err != nil {
		return err
	}
	sk, err := imageSortKey(img.DeviceID, img.ID)
	if err != nil {
		return err
	}
	faces := make([]types.AttributeValue, len(img.Faces))
	for i, fc := range img.Faces {
		faces[i] = &types.AttributeValueMemberM{Value: item{"X0": f(fc.Box.X0), "Y0": f(fc.Box.Y0),
			"X1": f(fc.Box.X1), "Y1": f(fc.Box.Y1), "Score": f(fc.Score)}}
	}
	it := item{"PK": s(accountPK + img.AccountID), "SK": s(sk), "DeviceID": s(img.DeviceID), "ImageID": s(img.ID),
		"EventID": s(img.EventID), "TakenMs": ms(img.TakenAt), "VerifiedMs": ms(img.VerifiedAt),
		"Key": s(img.Key), "ThumbKey": s(img.ThumbKey), "SourceKey": s(img.SourceKey), "Bytes": n(img.Bytes),
		"Width": n(int64(img.Width)), "Height": n(int64(img.Height)), "SHA256": s(img.SHA256),
		"Faces": &types.AttributeValueMemberL{Value: faces}, "FaceCount": n(int64(len(img.Faces)))}
	if err := t.putNew(ctx, op, it); err != nil {
		if isConflict(err) {
			return domain.E(op, domain.Conflict, fmt.Errorf("image %s of %s is recorded already", img.ID, img.DeviceID))
		}
		return err
	}
	at := img.VerifiedAt
	if at.IsZero() {
		at = img.TakenAt
	}
	t.touchDevice(ctx, img.AccountID, img.DeviceID, at)
	return nil
}

func imageFrom(acct string, it item) domain.ImageRecord {
	r := domain.ImageRecord{AccountID: acct, DeviceID: getS(it, "DeviceID"), ID: getS(it, "ImageID"),
		EventID: getS(it, "EventID"), TakenAt: getT(it, "TakenMs"), VerifiedAt: getT(it, "VerifiedMs"),
		Key: getS(it, "Key"), ThumbKey: getS(it, "ThumbKey"), SourceKey: getS(it, "SourceKey"),
		Bytes: getN(it, "Bytes"), Width: int(getN(it, "Width")), Height: int(getN(it, "Height")), SHA256: getS(it, "SHA256")}
	if l, ok := it["Faces"].(*types.AttributeValueMemberL); ok {
		for _, v := range l.Value {
			if m, ok := v.(*types.AttributeValueMemberM); ok {
				r.Faces = append(r.Faces, domain.Face{Box: domain.Box{X0: getF(m.Value, "X0"), Y0: getF(m.Value, "Y0"),
					X1: getF(m.Value, "X1"), Y1: getF(m.Value, "Y1")}, Score: getF(m.Value, "Score")})
			}
		}
	}
	return r
}

// Image returns one verified image of an account; NotFound when the
// account has no such image.
func (t *Table) Image(ctx context.Context, acct, dev, id string) (domain.ImageRecord, error) {
	const op = "image"
	if err := checkAccount(op, acct); err != nil {
		return domain.ImageRecord{}, err
	}
	if err := checkDevice(op, dev); err != nil {
		return domain.ImageRecord{}, err
	}
	sk, err := imageSortKey(dev, id)
	if err != nil {
		return domain.ImageRecord{}, err
	}
	it, err := t.get(ctx, op, key(accountPK+acct, sk))
	if err != nil {
		return domain.ImageRecord{}, err
	}
	if it == nil {
		return domain.ImageRecord{}, domain.E(op, domain.NotFound, fmt.Errorf("no image %s", domain.ImageKey(dev, id)))
	}
	return imageFrom(acct, it), nil
}

// encodeCursor and decodeCursor carry a sort key between pages; the
// partition is always the caller's account, never the cursor's.
func encodeCursor(last item) string {
	if len(last) == 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(getS(last, "SK")))
}

// decodeCursor also checks that the sort key lies in lo..hi, the range
// the query reads: DynamoDB refuses a start key outside it (a
// ValidationException), which would be a server error for a client's
// mistake, such as a cursor of another day's listing.
func decodeCursor(c, lo, hi string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if sk := string(raw); err != nil || len(raw) > 256 || sk < lo || sk > hi {
		return "", domain.E("cursor", domain.Invalid, errors.New("not a cursor of this listing"))
	}
	return string(raw), nil
}

// maxRounds bounds the queries one page may take when filters drop items.
const maxRounds = 25

// Images returns a page of an account's verified images, newest first.
func (t *Table) Images(ctx context.Context, acct string, q domain.ImageQuery) (domain.ImagePage, error) {
	const op = "images"
	if err := checkAccount(op, acct); err != nil {
		return domain.ImagePage{}, err
	}
	if err := q.Validate(); err != nil {
		return domain.ImagePage{}, err
	}
	lo, hi := imageSK, "IMAGE$" // '$' sorts right after '#'
	if !q.Day.IsZero() {
		d := q.Day.UTC()
		lo = imageSK + d.Format("20060102")
		hi = imageSK + d.AddDate(0, 0, 1).Format("20060102")
	}
	vals := item{":pk": s(accountPK + acct), ":lo": s(lo), ":hi": s(hi)}
	var filters []string
	if q.DeviceID != "" {
		filters = append(filters, "DeviceID = :dev")
		vals[":dev"] = s(q.DeviceID)
	}
	if q.WithFaces {
		filters = append(filters, "FaceCount > :zero")
		vals[":zero"] = n(0)
	}
	in := &ddb.QueryInput{
		TableName:                 aws.String(t.name),
		KeyConditionExpression:    aws.String("PK = :pk AND SK BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: vals,
		ScanIndexForward:          aws.Bool(false),
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	var page domain.ImagePage
	items, next, err := t.queryPage(ctx, op, in, acct, q.Cursor, lo, hi, q.Limit)
	if err != nil {
		return page, err
	}
	for _, it := range items {
		page.Images = append(page.Images, imageFrom(acct, it))
	}
	page.Next = next
	return page, nil
}

// queryPage runs in from cursor until limit items matched or the
// partition ended, and returns them with the next page's cursor. lo..hi is
// the sort key range in reads: a cursor outside it is Invalid.
func (t *Table) queryPage(ctx context.Context, op string, in *ddb.QueryInput, acct, cursor, lo, hi string, limit int) ([]item, string, error) {
	if cursor != "" {
		sk, err := decodeCursor(cursor, lo, hi)
		if err != nil {
			return nil, "", err
		}
		in.ExclusiveStartKey = key(accountPK+acct, sk)
	}
	var out []item
	for range maxRounds {
		in.Limit = aws.Int32(int32(limit - len(out)))
		res, err := t.client.Query(ctx, in)
		if err != nil {
			return nil, "", wrap(op, err)
		}
		out = append(out, res.Items...)
		if len(res.LastEvaluatedKey) == 0 {
			return out, "", nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
		if len(out) >= limit {
			break
		}
	}
	return out, encodeCursor(in.ExclusiveStartKey), nil
}

// rejectionSortKey: the event's time when the ID is {eventID}-{n}, so a
// retried rejection hits the same item; the zero stamp otherwise.
func rejectionSortKey(r domain.Rejection) string {
	stamp := "00000000T000000.000Z"
	if ev, _, err := domain.ParseSnapshotName(r.ID + ".jpg"); err == nil {
		stamp = ts(ev.Time())
	}
	return rejectSK + stamp + "#" + r.DeviceID + "#" + r.ID
}

// PutRejection implements ports.ImageIndex: a conditional put (Conflict
// when the rejection is recorded already). A rejection whose key named no
// valid account is kept under the REJECTED partition, for the operator.
func (t *Table) PutRejection(ctx context.Context, r domain.Rejection) error {
	const op = "put rejection"
	if r.ID == "" || len(r.ID) > 128 || strings.ContainsAny(r.ID, "#\x00") {
		return domain.E(op, domain.Invalid, fmt.Errorf("rejection id %q", r.ID))
	}
	if r.DeviceID != "" && !domain.ValidDeviceID(r.DeviceID) {
		r.DeviceID = ""
	}
	pk := accountPK + r.AccountID
	if !domain.ValidAccountID(r.AccountID) {
		pk = rejectedPK
	}
	it := item{"PK": s(pk), "SK": s(rejectionSortKey(r)), "AccountID": s(r.AccountID), "DeviceID": s(r.DeviceID),
		"RejectID": s(r.ID), "SourceKey": s(r.SourceKey), "QuarantineKey": s(r.QuarantineKey),
		"Reason": s(string(r.Reason)), "Detail": s(r.Detail), "Bytes": n(r.Bytes), "SHA256": s(r.SHA256),
		"RejectedMs": ms(r.RejectedAt)}
	if err := t.putNew(ctx, op, it); err != nil {
		if isConflict(err) {
			return domain.E(op, domain.Conflict, fmt.Errorf("rejection %s is recorded already", r.ID))
		}
		return err
	}
	return nil
}

func rejectionFrom(it item) domain.Rejection {
	return domain.Rejection{AccountID: getS(it, "AccountID"), DeviceID: getS(it, "DeviceID"), ID: getS(it, "RejectID"),
		SourceKey: getS(it, "SourceKey"), QuarantineKey: getS(it, "QuarantineKey"), Reason: domain.Reason(getS(it, "Reason")),
		Detail: getS(it, "Detail"), Bytes: getN(it, "Bytes"), SHA256: getS(it, "SHA256"), RejectedAt: getT(it, "RejectedMs")}
}

// Rejections returns a page of an account's rejected uploads, newest first.
func (t *Table) Rejections(ctx context.Context, acct string, limit int, cursor string) (domain.RejectionPage, error) {
	const op = "rejections"
	if err := checkAccount(op, acct); err != nil {
		return domain.RejectionPage{}, err
	}
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > domain.MaxPageSize {
		return domain.RejectionPage{}, domain.E(op, domain.Invalid, fmt.Errorf("limit %d: want 1..%d", limit, domain.MaxPageSize))
	}
	in := &ddb.QueryInput{
		TableName:                 aws.String(t.name),
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: item{":pk": s(accountPK + acct), ":sk": s(rejectSK)},
		ScanIndexForward:          aws.Bool(false),
	}
	items, next, err := t.queryPage(ctx, op, in, acct, cursor, rejectSK, rejectSK+"\xff", limit)
	if err != nil {
		return domain.RejectionPage{}, err
	}
	page := domain.RejectionPage{Next: next}
	for _, it := range items {
		page.Rejections = append(page.Rejections, rejectionFrom(it))
	}
	return page, nil
}

// deviceRejectionsPerRound is how many of an account's rejections one
// query of DeviceRejections reads (the filter keeps the device's).
const deviceRejectionsPerRound = 200

// DeviceRejections implements ports.Gallery: one device's rejected uploads,
// newest first, those rejected at or after since (zero: any). The
// account's REJECT items are read newest first and filtered by device (and
// time) in the query; at most maxRounds queries are made, so an account
// with very many other rejections yields fewer than limit.
func (t *Table) DeviceRejections(ctx context.Context, acct, dev string, since time.Time, limit int) ([]domain.Rejection, error) {
	const op = "device rejections"
	if err := checkAccount(op, acct); err != nil {
		return nil, err
	}
	if err := checkDevice(op, dev); err != nil {
		return nil, err
	}
	if limit < 1 || limit > domain.MaxDeviceRejections {
		return nil, domain.E(op, domain.Invalid, fmt.Errorf("limit %d: want 1..%d", limit, domain.MaxDeviceRejections))
	}
	vals := item{":pk": s(accountPK + acct), ":sk": s(rejectSK), ":dev": s(dev)}
	filter := "DeviceID = :dev"
	if !since.IsZero() {
		filter += " AND RejectedMs >= :since"
		vals[":since"] = ms(since)
	}
	in := &ddb.QueryInput{
		TableName:                 aws.String(t.name),
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :sk)"),
		FilterExpression:          aws.String(filter),
		ExpressionAttributeValues: vals,
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(deviceRejectionsPerRound),
	}
	var out []domain.Rejection
	for range maxRounds {
		res, err := t.client.Query(ctx, in)
		if err != nil {
			return nil, wrap(op, err)
		}
		for _, it := range res.Items {
			if len(out) == limit {
				return out, nil
			}
			out = append(out, rejectionFrom(it))
		}
		if len(res.LastEvaluatedKey) == 0 || len(out) == limit {
			break
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	return out, nil
}
