// Package aws_test checks deploy/aws/template.yaml, the CloudFormation
// template of Vigil's AWS deployment, for the properties that matter:
// private, encrypted, TLS-only buckets; the validator notified by the upload
// bucket alone; the table's layout; least-privilege roles; settings the
// programs actually read; no dependency cycle.
package aws_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"vigil/app/validator"
)

// tree is the template as plain values: map[string]any, []any and string.
// CloudFormation's short tags become their long forms (!Sub x → {"Fn::Sub":
// x}, !Ref x → {"Ref": x}), which yaml.v3 cannot decode into Go values by
// itself.
func decode(n *yaml.Node) any {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		return decode(n.Content[0])
	case yaml.AliasNode:
		return decode(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = decode(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		s := []any{}
		for _, c := range n.Content {
			s = append(s, decode(c))
		}
		v = s
	default:
		v = n.Value
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		name := strings.TrimPrefix(n.Tag, "!")
		if name != "Ref" && name != "Condition" {
			name = "Fn::" + name
		}
		if name == "Fn::GetAtt" {
			if s, ok := v.(string); ok {
				v = strings.SplitN(s, ".", 2)
				v = []any{v.([]string)[0], v.([]string)[1]}
			}
		}
		return map[string]any{name: v}
	}
	return v
}

type template struct {
	raw       string
	Resources map[string]map[string]any
	t         *testing.T
}

func load(t *testing.T) *template {
	t.Helper()
	b, err := os.ReadFile("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	top, ok := decode(&doc).(map[string]any)
	if !ok {
		t.Fatal("template.yaml is not a mapping")
	}
	tp := &template{raw: string(b), Resources: map[string]map[string]any{}, t: t}
	res, _ := top["Resources"].(map[string]any)
	for name, r := range res {
		tp.Resources[name], _ = r.(map[string]any)
	}
	if len(tp.Resources) == 0 {
		t.Fatal("no resources")
	}
	return tp
}

// ofType lists the logical IDs of resources of a type, sorted.
func (tp *template) ofType(typ string) []string {
	var ids []string
	for id, r := range tp.Resources {
		if r["Type"] == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func (tp *template) props(id string) map[string]any {
	p, _ := tp.Resources[id]["Properties"].(map[string]any)
	return p
}

// at follows a path of map keys and list indexes ("0") through v.
func at(v any, path ...string) any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// strs is a value that may be one string or a list of them, as strings
// (Fn::Sub forms as their format string).
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, strs(e)...)
		}
		return out
	case map[string]any:
		if s, ok := x["Fn::Sub"].(string); ok {
			return []string{s}
		}
		if r, ok := x["Ref"].(string); ok {
			return []string{"${" + r + "}"}
		}
		if g, ok := x["Fn::GetAtt"].([]any); ok && len(g) == 2 {
			return []string{"${" + g[0].(string) + "." + g[1].(string) + "}"}
		}
	}
	return nil
}

func TestBucketsArePrivateEncryptedAndTLSOnly(t *testing.T) {
	tp := load(t)
	buckets := tp.ofType("AWS::S3::Bucket")
	if !slices.Equal(buckets, []string{"ProductionBucket", "UploadBucket"}) {
		t.Fatalf("buckets %v, want ProductionBucket and UploadBucket", buckets)
	}
	policies := map[string]map[string]any{}
	for _, id := range tp.ofType("AWS::S3::BucketPolicy") {
		if ref, ok := at(tp.props(id), "Bucket", "Ref").(string); ok {
			policies[ref] = tp.props(id)
		}
	}
	for _, b := range buckets {
		p := tp.props(b)
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if at(p, "PublicAccessBlockConfiguration", k) != "true" {
				t.Errorf("%s: PublicAccessBlockConfiguration.%s is not true", b, k)
			}
		}
		algo := at(p, "BucketEncryption", "ServerSideEncryptionConfiguration", "0", "ServerSideEncryptionByDefault", "SSEAlgorithm")
		if algo != "AES256" && algo != "aws:kms" && algo != "aws:kms:dsse" {
			t.Errorf("%s: no default encryption (%v)", b, algo)
		}
		if at(p, "OwnershipControls", "Rules", "0", "ObjectOwnership") != "BucketOwnerEnforced" {
			t.Errorf("%s: ACLs are not disabled (BucketOwnerEnforced)", b)
		}
		pol, ok := policies[b]
		if !ok {
			t.Errorf("%s: no bucket policy", b)
			continue
		}
		denies := false
		for _, st := range at(pol, "PolicyDocument", "Statement").([]any) {
			if at(st, "Effect") == "Deny" && at(st, "Condition", "Bool", "aws:SecureTransport") == "false" {
				rs := strings.Join(strs(at(st, "Resource")), " ")
				denies = strings.Contains(rs, "${"+b+".Arn}/*") && strings.Contains(rs, "${"+b+".Arn}")
			}
		}
		if !denies {
			t.Errorf("%s: its policy does not deny requests without TLS on the bucket and its objects", b)
		}
	}
	// The upload bucket's lifecycle: unhandled uploads and the quarantine expire.
	expires := map[string]bool{}
	for _, r := range at(tp.props("UploadBucket"), "LifecycleConfiguration", "Rules").([]any) {
		if at(r, "Status") == "Enabled" && at(r, "ExpirationInDays") != nil {
			prefix, _ := at(r, "Prefix").(string)
			if prefix == "" {
				prefix, _ = at(r, "Filter", "Prefix").(string)
			}
			expires[prefix] = true
		}
	}
	if !expires[validator.UploadPrefix] || !expires["quarantine/"] {
		t.Errorf("upload bucket lifecycle expires %v, want %s and quarantine/", expires, validator.UploadPrefix)
	}
}

func TestOnlyTheUploadBucketNotifiesTheValidator(t *testing.T) {
	tp := load(t)
	for _, b := range tp.ofType("AWS::S3::Bucket") {
		n := at(tp.props(b), "NotificationConfiguration")
		if b != "UploadBucket" {
			if n != nil {
				t.Errorf("%s has a notification: only the upload bucket may", b)
			}
			continue
		}
		lcs, _ := at(n, "LambdaConfigurations").([]any)
		if len(lcs) != 1 || at(n, "QueueConfigurations") != nil || at(n, "TopicConfigurations") != nil {
			t.Fatalf("upload bucket notification %v: want one Lambda configuration", n)
		}
		lc := lcs[0]
		if fn := strs(at(lc, "Function")); len(fn) != 1 || fn[0] != "${ValidatorFunction.Arn}" {
			t.Errorf("notification target %v, want the validator", fn)
		}
		if ev := at(lc, "Event"); ev != "s3:ObjectCreated:*" {
			t.Errorf("notification event %v", ev)
		}
		rules, _ := at(lc, "Filter", "S3Key", "Rules").([]any)
		if len(rules) != 1 || at(rules[0], "Name") != "prefix" || at(rules[0], "Value") != validator.UploadPrefix {
			t.Errorf("notification filter %v, want prefix %s only (never quarantine/)", rules, validator.UploadPrefix)
		}
	}
	// The permission names the upload bucket by the same constructed name.
	name := strs(at(tp.props("UploadBucket"), "BucketName"))
	src := strs(at(tp.props("ValidatorInvokePermission"), "SourceArn"))
	if len(name) != 1 || len(src) != 1 || src[0] != "arn:${AWS::Partition}:s3:::"+name[0] {
		t.Errorf("permission source %v does not name the upload bucket %v", src, name)
	}
	if p := tp.props("ValidatorInvokePermission"); at(p, "Principal") != "s3.amazonaws.com" || at(p, "SourceAccount") == nil {
		t.Errorf("permission %v: want principal s3.amazonaws.com and the source account", p)
	}
}

func TestTable(t *testing.T) {
	tp := load(t)
	ids := tp.ofType("AWS::DynamoDB::Table")
	if len(ids) != 1 {
		t.Fatalf("tables %v, want one", ids)
	}
	p := tp.props(ids[0])
	attrs := map[string]string{}
	for _, a := range at(p, "AttributeDefinitions").([]any) {
		attrs[at(a, "AttributeName").(string)] = at(a, "AttributeType").(string)
	}
	if len(attrs) != 2 || attrs["PK"] != "S" || attrs["SK"] != "S" {
		t.Errorf("attributes %v, want PK and SK strings", attrs)
	}
	ks := at(p, "KeySchema")
	if at(ks, "0", "AttributeName") != "PK" || at(ks, "0", "KeyType") != "HASH" || at(ks, "1", "AttributeName") != "SK" || at(ks, "1", "KeyType") != "RANGE" {
		t.Errorf("key schema %v", ks)
	}
	if at(p, "BillingMode") != "PAY_PER_REQUEST" {
		t.Errorf("billing %v", at(p, "BillingMode"))
	}
	if at(p, "TimeToLiveSpecification", "AttributeName") != "ttl" || at(p, "TimeToLiveSpecification", "Enabled") != "true" {
		t.Errorf("TTL %v, want the attribute ttl", at(p, "TimeToLiveSpecification"))
	}
	if at(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") != "true" {
		t.Error("no point-in-time recovery")
	}
	if at(p, "GlobalSecondaryIndexes") != nil {
		t.Error("the table layout has no index (adapters/dynamodb/doc.go)")
	}
}

// statements lists every IAM statement of the template's roles and
// policies, with the logical ID that holds it.
func (tp *template) statements() map[string][]any {
	out := map[string][]any{}
	for id, r := range tp.Resources {
		switch r["Type"] {
		case "AWS::IAM::Role":
			for _, pol := range asList(at(r, "Properties", "Policies")) {
				out[id] = append(out[id], asList(at(pol, "PolicyDocument", "Statement"))...)
			}
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
			out[id] = append(out[id], asList(at(r, "Properties", "PolicyDocument", "Statement"))...)
		}
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func TestLeastPrivilege(t *testing.T) {
	tp := load(t)
	// Actions that have no resource to scope to.
	accountLevel := map[string]bool{"ecr:GetAuthorizationToken": true}
	prefixed := regexp.MustCompile(`/(uploads|quarantine|images|thumbs)/\*$`)
	uploadBucket := regexp.MustCompile(`^arn:\$\{AWS::Partition\}:s3:::\$\{BucketPrefix\}-uploads-\$\{AWS::AccountId\}-\$\{AWS::Region\}$`)
	sts := tp.statements()
	if len(sts) == 0 {
		t.Fatal("no IAM statements")
	}
	for id, list := range sts {
		for _, st := range list {
			if at(st, "Effect") != "Allow" {
				continue
			}
			actions := strs(at(st, "Action"))
			resources := strs(at(st, "Resource"))
			for _, a := range actions {
				if strings.Contains(a, "*") {
					t.Errorf("%s: wildcard action %q", id, a)
				}
			}
			for _, r := range resources {
				if r == "*" && !(len(actions) > 0 && allIn(actions, accountLevel)) {
					t.Errorf("%s: %v on every resource", id, actions)
				}
			}
			for _, a := range actions {
				if !strings.HasPrefix(a, "s3:") || a == "s3:ListBucket" {
					continue
				}
				for _, r := range resources {
					if !prefixed.MatchString(r) {
						t.Errorf("%s: %s on %s, not scoped to a key prefix", id, a, r)
					}
				}
			}
			if slices.Contains(actions, "s3:ListBucket") {
				// Only the validator lists, and only the upload bucket: it
				// reads every upload anyway, and ListBucket is what makes a
				// HEAD of a handled upload answer 404 rather than 403. An
				// s3:prefix condition would defeat that: a HEAD carries none.
				if id != "ValidatorRole" {
					t.Errorf("%s: s3:ListBucket; only the validator may list", id)
				}
				for _, r := range resources {
					if !uploadBucket.MatchString(r) {
						t.Errorf("%s: s3:ListBucket on %s, not the upload bucket", id, r)
					}
				}
				if at(st, "Condition") != nil {
					t.Errorf("%s: s3:ListBucket under a condition, which a HEAD request would not meet (403 instead of 404)", id)
				}
			}
		}
	}
	// The validator writes production images and thumbnails, the quarantine
	// and the table; it never deletes from production nor reads it.
	val := strings.Join(func() []string {
		var all []string
		for _, st := range sts["ValidatorRole"] {
			for _, a := range strs(at(st, "Action")) {
				for _, r := range strs(at(st, "Resource")) {
					all = append(all, a+" "+r)
				}
			}
		}
		return all
	}(), "\n")
	for _, want := range []string{"s3:PutObject ${ProductionBucket.Arn}/images/*", "s3:PutObject ${ProductionBucket.Arn}/thumbs/*",
		"/quarantine/*", "s3:DeleteObject arn:${AWS::Partition}:s3:::${BucketPrefix}-uploads-${AWS::AccountId}-${AWS::Region}/uploads/*",
		"dynamodb:PutItem ${Table.Arn}"} {
		if !strings.Contains(val, want) {
			t.Errorf("the validator's role lacks %q:\n%s", want, val)
		}
	}
	if strings.Contains(val, "s3:DeleteObject ${ProductionBucket") || strings.Contains(val, "s3:GetObject ${ProductionBucket") {
		t.Errorf("the validator may read or delete production:\n%s", val)
	}
}

func allIn(xs []string, set map[string]bool) bool {
	for _, x := range xs {
		if !set[x] {
			return false
		}
	}
	return true
}

// readsEnv reports whether the sources of a command name an environment
// variable (as a quoted string).
func readsEnv(t *testing.T, cmd, name string) bool {
	t.Helper()
	files, _ := os.ReadDir("../../cmd/" + cmd)
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".go") || strings.HasSuffix(f.Name(), "_test.go") {
			continue
		}
		b, err := os.ReadFile("../../cmd/" + cmd + "/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), `"`+name+`"`) {
			return true
		}
	}
	return false
}

func TestSettingsAreWhatTheProgramsRead(t *testing.T) {
	tp := load(t)
	fn := tp.props("ValidatorFunction")
	if at(fn, "PackageType") != "Image" || at(fn, "Code", "ImageUri") == nil {
		t.Errorf("the validator is not deployed from its container image: %v", fn)
	}
	env, _ := at(fn, "Environment", "Variables").(map[string]any)
	for name := range env {
		if !readsEnv(t, "vigil-validator", name) {
			t.Errorf("validator: vigil-validator does not read $%s", name)
		}
		if strings.HasPrefix(name, "AWS_") {
			t.Errorf("validator: $%s is reserved by Lambda", name)
		}
	}
	for _, need := range []string{"VIGIL_UPLOAD_BUCKET", "VIGIL_PRODUCTION_BUCKET", "VIGIL_TABLE"} {
		if env[need] == nil {
			t.Errorf("validator: $%s not set", need)
		}
	}
	tds := tp.ofType("AWS::ECS::TaskDefinition")
	if len(tds) != 1 {
		t.Fatalf("cloud task definitions %v, want one", tds)
	}
	ctr := at(tp.props(tds[0]), "ContainerDefinitions", "0")
	if img, _ := at(ctr, "Image").(map[string]any); img["Ref"] != "CloudImageUri" {
		t.Errorf("the cloud app is not deployed from its image: %v", at(ctr, "Image"))
	}
	set := map[string]bool{}
	for _, v := range asList(at(ctr, "Environment")) {
		name, _ := at(v, "Name").(string)
		set[name] = true
		if !readsEnv(t, "vigil-cloud", name) {
			t.Errorf("cloud: vigil-cloud does not read $%s", name)
		}
	}
	for _, need := range []string{"VIGIL_UPLOAD_BUCKET", "VIGIL_PRODUCTION_BUCKET", "VIGIL_TABLE", "VIGIL_SECURE_COOKIE"} {
		if !set[need] {
			t.Errorf("cloud: $%s not set", need)
		}
	}
	if at(ctr, "ReadonlyRootFilesystem") != "true" || at(ctr, "User") != "65532:65532" {
		t.Errorf("the cloud's container is writable or runs as root: %v", ctr)
	}
	for _, tg := range tp.ofType("AWS::ElasticLoadBalancingV2::TargetGroup") {
		if at(tp.props(tg), "HealthCheckPath") != "/healthz" {
			t.Errorf("%s: the cloud's health check is not /healthz", tg)
		}
	}
}

// TestCloudIsServedOverHTTPSOnly: the load balancer serves TLS 1.2 or later
// with a certificate, plain HTTP only redirects, and the tasks accept
// traffic from the load balancer alone.
func TestCloudIsServedOverHTTPSOnly(t *testing.T) {
	tp := load(t)
	listeners := tp.ofType("AWS::ElasticLoadBalancingV2::Listener")
	if len(listeners) == 0 {
		t.Fatal("no listener")
	}
	for _, id := range listeners {
		p := tp.props(id)
		switch at(p, "Protocol") {
		case "HTTPS":
			if pol, _ := at(p, "SslPolicy").(string); !strings.HasPrefix(pol, "ELBSecurityPolicy-TLS13-1-2") {
				t.Errorf("%s: TLS policy %q, want TLS 1.3 with 1.2 at least", id, pol)
			}
			if at(p, "Certificates", "0", "CertificateArn") == nil {
				t.Errorf("%s: no certificate", id)
			}
		case "HTTP":
			if at(p, "DefaultActions", "0", "Type") != "redirect" || at(p, "DefaultActions", "0", "RedirectConfig", "Protocol") != "HTTPS" || len(asList(at(p, "DefaultActions"))) != 1 {
				t.Errorf("%s: plain HTTP does more than redirect to HTTPS: %v", id, at(p, "DefaultActions"))
			}
		default:
			t.Errorf("%s: protocol %v", id, at(p, "Protocol"))
		}
	}
	task := tp.props("CloudTaskSecurityGroup")
	rules := asList(at(task, "SecurityGroupIngress"))
	if len(rules) != 1 || at(rules[0], "SourceSecurityGroupId", "Ref") != "LoadBalancerSecurityGroup" || at(rules[0], "CidrIp") != nil {
		t.Errorf("the tasks accept more than the load balancer: %v", rules)
	}
	svc := tp.ofType("AWS::ECS::Service")
	if len(svc) != 1 || !slices.Equal(strs(at(tp.props(svc[0]), "NetworkConfiguration", "AwsvpcConfiguration", "SecurityGroups")), []string{"${CloudTaskSecurityGroup}"}) {
		t.Errorf("the cloud service %v does not run in the tasks' security group", svc)
	}
}

// refs lists the resources a value refers to: Ref, GetAtt, ${X} and
// ${X.Attr} in Sub.
var subRef = regexp.MustCompile(`\$\{([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?\}`)

func refs(v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch k {
			case "Ref":
				if s, ok := e.(string); ok {
					out[s] = true
				}
			case "Fn::GetAtt":
				if l, ok := e.([]any); ok && len(l) > 0 {
					out[l[0].(string)] = true
				}
			case "Fn::Sub":
				s, _ := e.(string)
				if l, ok := e.([]any); ok && len(l) > 0 {
					s, _ = l[0].(string)
					refs(l[1:], out)
				}
				for _, m := range subRef.FindAllStringSubmatch(s, -1) {
					out[m[1]] = true
				}
			}
			refs(e, out)
		}
	case []any:
		for _, e := range x {
			refs(e, out)
		}
	}
}

// TestNoDependencyCycle: the template's resources form a DAG (S3's
// notification, the Lambda permission and the roles name the upload bucket
// by a constructed string, not by a reference).
func TestNoDependencyCycle(t *testing.T) {
	tp := load(t)
	deps := map[string][]string{}
	for id, r := range tp.Resources {
		set := map[string]bool{}
		refs(r["Properties"], set)
		for _, d := range strs(r["DependsOn"]) {
			set[d] = true
		}
		for d := range set {
			if _, ok := tp.Resources[d]; ok {
				deps[id] = append(deps[id], d)
			}
		}
	}
	const (
		unseen = iota
		open
		closed
	)
	state := map[string]int{}
	var visit func(id string, path []string)
	visit = func(id string, path []string) {
		switch state[id] {
		case open:
			t.Fatalf("dependency cycle: %s → %s", strings.Join(path, " → "), id)
		case closed:
			return
		}
		state[id] = open
		for _, d := range deps[id] {
			visit(d, append(path, id))
		}
		state[id] = closed
	}
	for id := range tp.Resources {
		visit(id, nil)
	}
	// The notification needs the permission first.
	if !slices.Contains(strs(tp.Resources["UploadBucket"]["DependsOn"]), "ValidatorInvokePermission") {
		t.Error("UploadBucket does not depend on ValidatorInvokePermission: S3 refuses a notification to a function it may not invoke")
	}
}
