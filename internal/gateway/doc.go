// Package gateway is the API gateway in front of every product route: it
// authenticates the caller (AppCode, the APIG SDK-HMAC-SHA256 signature, or
// the 企查查 key/Token/Timespan scheme), spends one call of the app's package
// when the product handler's answer is billable, enforces per-app rate limits
// and daily caps, and records every call for usage reports. Product handlers
// never see any of it; they only record their envelope code with
// reqinfo.SetCode.
//
// The package also holds the administration of apps and packages (Apps),
// shared by the CLI and the admin JSON API. Persistence is behind the Store
// interface; internal/gateway/sqlstore implements it on SQLite and
// PostgreSQL, and internal/gateway/ratelimit provides the in-memory and Redis
// rate limiters. The request signature itself is computed by the public
// package apig, which the SDK shares.
package gateway
