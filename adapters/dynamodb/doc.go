// Package dynamodb keeps vigil-cloud's metadata in one DynamoDB table (or
// a DynamoDB-compatible server such as dynalite): accounts, users,
// licenses, devices, upload verdicts, verified images, rejected uploads,
// sessions and rate counters. It implements ports.Directory,
// ports.ImageIndex and ports.Verdicts for the validator and the cloud
// app's ports.
//
// # Table layout
//
// One table, string keys PK (partition) and SK (sort), no secondary index
// and no transactions (dynalite has none): every multi-item change is a
// sequence of conditional writes with a compensating write on failure.
//
//	PK                    SK                              item
//	ACCOUNT#{acct}        ACCOUNT                         the account: Email, Created
//	ACCOUNT#{acct}        LICENSE                         KeyHash, Seats, SeatsUsed, SeatHolders (string set), State, IssuedMs, ExpiresMs
//	ACCOUNT#{acct}        DEVICE#{dev}                    Name, SecretHash, EnrolledMs, Revoked, RevokedMs, LastUploadMs, SeatTracked
//	ACCOUNT#{acct}        IMAGE#{ts}#{dev}#{event}-{n}    an ImageRecord (Faces as a list of maps, FaceCount)
//	ACCOUNT#{acct}        REJECT#{ts}#{dev}#{id}          a Rejection
//	ACCOUNT#{acct}        VERDICT#{dev}#{id}              an upload's one verdict: Verdict (accepted|rejected), Reason, Detail, SourceKey, Bytes, SHA256, AtMs
//	USER#{email}          USER                            AccountID, PasswordHash, Created (sign-in lookup)
//	LICENSEKEY#{sha256}   LICENSEKEY                      AccountID (enrollment lookup by the key's hash)
//	DEVICE#{dev}          DEVICE                          AccountID (device authentication lookup)
//	SESSION#{sha256}      SESSION                         AccountID, Email, CSRF, ExpiresMs, ttl (epoch s)
//	RATE#{key}            SLOT#{slot}                     N, ttl (a sliding-window slot count: domain.RateSlots)
//	REJECTED              REJECT#{ts}#{id}                a rejection whose key named no valid account
//	REJECTED              VERDICT##{id}                   its verdict (always rejected)
//
// {ts} is the UTC time as 20060102T150405.000Z, so a Query with
// ScanIndexForward=false lists newest first. An image's {ts} is its event
// ID's time (TakenAt), so its key follows from the public image key
// {dev}.{event}-{n} alone; a rejection's {ts} is its event's time when its
// ID is {event}-{n} (so a retried rejection hits the same item) and
// otherwise 00000000T000000.000Z (listed last).
//
// Verdicts: the validator puts an upload's VERDICT item on condition
// attribute_not_exists(PK) before any of the verdict's effects (the
// quarantine copy, the IMAGE or REJECT item, the clean copy), so of two
// deliveries judging one upload at once exactly one verdict is recorded
// and the other follows it; the IMAGE and REJECT items stay as the
// gallery's and the device status's records. Verdicts are never deleted.
//
// Seats: the LICENSE item's SeatsUsed is raised by a conditional update
// (SeatsUsed < Seats, state active, not expired, same key hash) that adds
// the device to SeatHolders before the device is written, and lowered again
// if that write fails (unless the device is stored after all); revoking
// marks the device (its secret stops working at once, checked on every
// request) and then lowers SeatsUsed in the update that removes the device
// from SeatHolders, so a retried revoke completes a failed return once.
// Devices without SeatTracked predate SeatHolders: their seat is returned
// by a plain decrement when they are revoked. Lookup items are written before the item they
// point to and deleted when it cannot be written. Sessions and rate counters
// carry a ttl attribute for DynamoDB's TTL; expiry is also checked on read,
// since dynalite does not expire items.
package dynamodb
