package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"vigil/domain"
	"vigil/ports"
)

// Table is the cloud's metadata table.
type Table struct {
	client *ddb.Client
	name   string
	log    *slog.Logger // see SetLogger
}

var (
	_ ports.Directory  = (*Table)(nil)
	_ ports.ImageIndex = (*Table)(nil)

	_ ports.Accounts    = (*Table)(nil)
	_ ports.Licenses    = (*Table)(nil)
	_ ports.Seats       = (*Table)(nil)
	_ ports.Devices     = (*Table)(nil)
	_ ports.Gallery     = (*Table)(nil)
	_ ports.Sessions    = (*Table)(nil)
	_ ports.RateLimiter = (*Table)(nil)
)

// New returns the table name reached through client.
func New(client *ddb.Client, name string) *Table { return &Table{client: client, name: name} }

// Options say how to reach the table.
type Options struct {
	Table    string
	Endpoint string // "" for AWS; http://host:port for dynalite or another compatible server
	Region   string // "" keeps cfg's
}

// Open returns the table described by o, reached with cfg's credentials.
func Open(cfg aws.Config, o Options) (*Table, error) {
	if o.Table == "" {
		return nil, domain.E("dynamodb", domain.Invalid, errors.New("no table name"))
	}
	client := ddb.NewFromConfig(cfg, func(opt *ddb.Options) {
		if o.Endpoint != "" {
			opt.BaseEndpoint = aws.String(o.Endpoint)
		}
		if o.Region != "" {
			opt.Region = o.Region
		}
	})
	return New(client, o.Table), nil
}

// Name is the table's name.
func (t *Table) Name() string { return t.name }

// CreateTable creates the table (on-demand capacity) and waits until it is
// active. For tests and development; production tables come from the
// deployment template.
func (t *Table) CreateTable(ctx context.Context) error {
	_, err := t.client.CreateTable(ctx, &ddb.CreateTableInput{
		TableName: aws.String(t.name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("SK"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("SK"), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		return wrap("create table "+t.name, err)
	}
	w := ddb.NewTableExistsWaiter(t.client, func(o *ddb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 500*time.Millisecond
	})
	if err := w.Wait(ctx, &ddb.DescribeTableInput{TableName: aws.String(t.name)}, time.Minute); err != nil {
		return wrap("create table "+t.name, err)
	}
	return nil
}

// Key prefixes (see doc.go).
const (
	accountPK    = "ACCOUNT#"
	userPK       = "USER#"
	licenseKeyPK = "LICENSEKEY#"
	devicePK     = "DEVICE#"
	sessionPK    = "SESSION#"
	ratePK       = "RATE#"
	rejectedPK   = "REJECTED"

	accountSK = "ACCOUNT"
	licenseSK = "LICENSE"
	deviceSK  = "DEVICE#"
	imageSK   = "IMAGE#"
	rejectSK  = "REJECT#"
)

// tsLayout sorts as time does (UTC, fixed width).
const tsLayout = "20060102T150405.000Z"

func ts(t time.Time) string { return t.UTC().Format(tsLayout) }

// attribute helpers

type item = map[string]types.AttributeValue

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}
func f(v float64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatFloat(v, 'g', -1, 64)}
}
func b(v bool) types.AttributeValue { return &types.AttributeValueMemberBOOL{Value: v} }
func ms(t time.Time) types.AttributeValue {
	if t.IsZero() {
		return n(0)
	}
	return n(t.UnixMilli())
}

func key(pk, sk string) item { return item{"PK": s(pk), "SK": s(sk)} }

func getS(it item, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(it item, name string) int64 {
	if v, ok := it[name].(*types.AttributeValueMemberN); ok {
		x, _ := strconv.ParseInt(v.Value, 10, 64)
		return x
	}
	return 0
}

func getF(it item, name string) float64 {
	if v, ok := it[name].(*types.AttributeValueMemberN); ok {
		x, _ := strconv.ParseFloat(v.Value, 64)
		return x
	}
	return 0
}

func getB(it item, name string) bool {
	v, ok := it[name].(*types.AttributeValueMemberBOOL)
	return ok && v.Value
}

func getT(it item, name string) time.Time {
	x := getN(it, name)
	if x == 0 {
		return time.Time{}
	}
	return time.UnixMilli(x).UTC()
}

// wrap turns an SDK error into a domain error: a failed condition is a
// Conflict, throttling and network trouble Unavailable, the rest Internal.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var cond *types.ConditionalCheckFailedException
	if errors.As(err, &cond) {
		return domain.E(op, domain.Conflict, errors.New("the condition failed"))
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
			"InternalServerError", "ServiceUnavailable", "LimitExceededException":
			return domain.E(op, domain.Unavailable, err)
		}
		return domain.E(op, domain.Internal, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return domain.E(op, domain.Unavailable, err)
	}
	return domain.E(op, domain.Unavailable, fmt.Errorf("dynamodb: %w", err))
}

func isConflict(err error) bool { return domain.KindOf(err) == domain.Conflict }

func (t *Table) get(ctx context.Context, op string, k item) (item, error) {
	out, err := t.client.GetItem(ctx, &ddb.GetItemInput{TableName: aws.String(t.name), Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, wrap(op, err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// putNew writes it unless an item with its key exists (Conflict then).
func (t *Table) putNew(ctx context.Context, op string, it item) error {
	_, err := t.client.PutItem(ctx, &ddb.PutItemInput{TableName: aws.String(t.name), Item: it,
		ConditionExpression: aws.String("attribute_not_exists(PK)")})
	return wrap(op, err)
}

func (t *Table) del(ctx context.Context, op string, k item) error {
	_, err := t.client.DeleteItem(ctx, &ddb.DeleteItemInput{TableName: aws.String(t.name), Key: k})
	return wrap(op, err)
}

func checkAccount(op, acct string) error {
	if !domain.ValidAccountID(acct) {
		return domain.E(op, domain.Invalid, fmt.Errorf("account %q: want acct_<ULID>", acct))
	}
	return nil
}

func checkDevice(op, dev string) error {
	if !domain.ValidDeviceID(dev) {
		return domain.E(op, domain.Invalid, fmt.Errorf("device %q: want dev_<ULID>", dev))
	}
	return nil
}
