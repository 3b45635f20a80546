package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// Routes of the certificate APIs.
const (
	PathCertList            = "/enterprise/certificate/list"
	PathCertDetail          = "/enterprise/certificate/detail"
	PathSearchCertification = "/api/yj/ECICertification/SearchCertification"
	PathCertificationDetail = "/api/yj/ECICertification/GetCertificationDetailById"
)

// CertListResponse is the 聚美智数 answer of CertList.
type CertListResponse struct {
	Code   int      `json:"code"`
	Msg    string   `json:"msg"`
	TaskNo string   `json:"taskNo"`
	Data   CertPage `json:"data"`
}

// CertPage is one page of certificates.
type CertPage struct {
	Page  PageInfo   `json:"page"`
	Items []CertItem `json:"items"`
}

// PageInfo locates a page in the whole result.
type PageInfo struct {
	PageNo      int `json:"pageNo"`
	PageSize    int `json:"pageSize"`
	RecordCount int `json:"recordCount"`
}

// CertItem is one certificate of a list; ID is what CertDetail takes.
type CertItem struct {
	Type      string `json:"Type"`
	ID        string `json:"Id"`
	CertNo    string `json:"CertNo"`
	StartDate string `json:"StartDate"` // "2006-01-02 15:04:05"
	EndDate   string `json:"EndDate"`
}

// CertDetailResponse is the 聚美智数 answer of CertDetail.
type CertDetailResponse struct {
	Code   int        `json:"code"`
	Msg    string     `json:"msg"`
	TaskNo string     `json:"taskNo"`
	Data   CertDetail `json:"data"`
}

// CertDetail is one certificate with its detail sections.
type CertDetail struct {
	CertNo         string   `json:"certNo"`
	Type           string   `json:"type"`
	EnterpriseName string   `json:"enterpriseName"`
	StartDate      string   `json:"startDate"`
	EndDate        string   `json:"endDate"`
	Detail         Sections `json:"detail"`
}

// CertList searches certificates by company name, registration number or
// unified social credit code (聚美智数 dialect). pageNo starts at 1 and
// pageSize is at most 20; 0 leaves either to the server's default.
func (c *Client) CertList(ctx context.Context, keyword string, pageNo, pageSize int) (*CertListResponse, error) {
	form := url.Values{"keyword": {keyword}}
	if pageNo != 0 {
		form.Set("pageNo", strconv.Itoa(pageNo))
	}
	if pageSize != 0 {
		form.Set("pageSize", strconv.Itoa(pageSize))
	}
	var out CertListResponse
	if err := c.call(ctx, http.MethodPost, PathCertList, nil, form, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CertDetail returns one certificate by the ID a CertList item carries.
func (c *Client) CertDetail(ctx context.Context, id string) (*CertDetailResponse, error) {
	var out CertDetailResponse
	if err := c.call(ctx, http.MethodPost, PathCertDetail, nil, url.Values{"id": {id}}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SearchParams are the 企查查 SearchCertification parameters; zero values
// are not sent.
type SearchParams struct {
	SearchKey    string // company name (required)
	CertCategory string // certificate type, e.g. "C_9"
	PageSize     int    // at most 20; server default 10
	PageIndex    int    // from 1
	// ExactlySame, when set, sends isExactlySame (server default true).
	ExactlySame *bool
	// Key is sent as the "key" parameter; it defaults to the client's AppKey
	// (or WithQCCKey's).
	Key string
}

// QCCPaging locates a page in a 企查查 result.
type QCCPaging struct {
	PageSize     int `json:"PageSize"`
	PageIndex    int `json:"PageIndex"`
	TotalRecords int `json:"TotalRecords"`
}

// Certification is one certificate of a 企查查 search.
type Certification struct {
	ID        string `json:"Id"`
	Name      string `json:"Name"`
	Type      string `json:"Type"`
	StartDate string `json:"StartDate"`
	EndDate   string `json:"EndDate"`
	No        string `json:"No"`
	TypeDesc  string `json:"TypeDesc"`
}

// SearchCertificationResponse is the 企查查 answer of SearchCertification.
type SearchCertificationResponse struct {
	Paging      *QCCPaging      `json:"Paging"`
	Result      []Certification `json:"Result"`
	Status      string          `json:"Status"`
	Message     string          `json:"Message"`
	OrderNumber *string         `json:"OrderNumber"`
}

// CertificationDetail is one certificate in 企查查's flat form.
type CertificationDetail struct {
	ID     string          `json:"Id"`
	Data   Fields          `json:"Data"`
	Schema json.RawMessage `json:"Schema"`
}

// CertificationDetailResponse is the 企查查 answer of
// GetCertificationDetailById.
type CertificationDetailResponse struct {
	Result      CertificationDetail `json:"Result"`
	Status      string              `json:"Status"`
	Message     string              `json:"Message"`
	OrderNumber *string             `json:"OrderNumber"`
}

// SearchCertification lists a company's certificates (企查查 dialect). A
// search without result is an error for which IsNoResult is true.
func (c *Client) SearchCertification(ctx context.Context, p SearchParams) (*SearchCertificationResponse, error) {
	q := url.Values{"searchKey": {p.SearchKey}}
	if p.CertCategory != "" {
		q.Set("certCategory", p.CertCategory)
	}
	if p.PageSize != 0 {
		q.Set("pageSize", strconv.Itoa(p.PageSize))
	}
	if p.PageIndex != 0 {
		q.Set("pageIndex", strconv.Itoa(p.PageIndex))
	}
	if p.ExactlySame != nil {
		q.Set("isExactlySame", strconv.FormatBool(*p.ExactlySame))
	}
	c.setKey(q, p.Key)
	var out SearchCertificationResponse
	if err := c.call(ctx, http.MethodGet, PathSearchCertification, q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetCertificationDetailById returns one certificate by its 企查查 Id.
func (c *Client) GetCertificationDetailById(ctx context.Context, certID string) (*CertificationDetailResponse, error) {
	q := url.Values{"certId": {certID}}
	c.setKey(q, "")
	var out CertificationDetailResponse
	if err := c.call(ctx, http.MethodGet, PathCertificationDetail, q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// setKey adds the 企查查 "key" parameter: key if given, else WithQCCKey's,
// else the client's AppKey when it knows one.
func (c *Client) setKey(q url.Values, key string) {
	if key == "" {
		key = c.qccKey
	}
	if key == "" && c.auth != nil {
		key = c.auth.key()
	}
	if key != "" {
		q.Set("key", key)
	}
}
