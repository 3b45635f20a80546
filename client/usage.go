package client

import (
	"context"
	"net/http"
	"time"
)

// PathUsage is the route of Usage.
const PathUsage = "/v1/account/usage"

// UsageResponse is the answer of Usage.
type UsageResponse struct {
	Code   int          `json:"code"`
	Msg    string       `json:"msg"`
	TaskNo string       `json:"taskNo"`
	Data   AccountUsage `json:"data"`
}

// AccountUsage is the calling app and its call packages (套餐使用情况次数).
type AccountUsage struct {
	AppID    string    `json:"appId"`
	Name     string    `json:"name"`
	Packages []Package `json:"packages"`
}

// Package is a grant of calls to one product.
type Package struct {
	ID        int64     `json:"id"`
	Product   string    `json:"product"` // "cert" or "idphoto"
	Total     int64     `json:"total"`
	Used      int64     `json:"used"`
	Remaining int64     `json:"remaining"`
	ExpiresAt time.Time `json:"expiresAt"`
	Expired   bool      `json:"expired"`
	DailyCap  int64     `json:"dailyCap,omitempty"` // 0: none
	UsedToday int64     `json:"usedToday"`
}

// Usage returns the calling app's packages with their total, used and
// remaining calls. It is not billed.
func (c *Client) Usage(ctx context.Context) (*UsageResponse, error) {
	var out UsageResponse
	if err := c.call(ctx, http.MethodGet, PathUsage, nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
