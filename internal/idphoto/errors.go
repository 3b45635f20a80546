package idphoto

import (
	"errors"
	"fmt"
)

// The codes of the seed's code table. Code208 (content violates policy) is
// reserved: zheng has no content classifier and never returns it, but the
// number is kept so that clients written for the vendor's table stay valid.
const (
	CodeOK            = 200 // 成功
	CodeProcessing    = 201 // processing failed
	CodeFaceDetection = 202 // the face detector failed to run
	CodeNotFound      = 203 // photo not found: URL unreachable, 404, not an image
	CodeTooLarge      = 204 // image too large (pixels over the limit)
	CodeNoFace        = 205 // no face in the picture
	CodeNoHead        = 206 // head not in the picture (crown or chin cut off)
	CodeUnknownSpec   = 207 // unknown spec
	CodeReserved208   = 208 // reserved: content violates policy (never returned)
	CodeEncoding      = 209 // encoding failed (e.g. KB range cannot be met)
	CodeUnsuitable    = 210 // unsuitable for an ID photo
	CodeBadParam      = 400 // bad parameter; Param names it
	CodeBusy          = 500 // all workers busy and the queue full: retry later
)

// Messages are the public texts of the codes, as in the seed.
var messages = map[int]string{
	CodeOK:            "成功",
	CodeProcessing:    "照片处理失败",
	CodeFaceDetection: "人脸检测失败",
	CodeNotFound:      "照片找不到",
	CodeTooLarge:      "图片尺寸过大",
	CodeNoFace:        "图片中找不到人脸",
	CodeNoHead:        "图片中找不到人的头部信息",
	CodeUnknownSpec:   "证件照规格不存在",
	CodeReserved208:   "内容涉嫌违规",
	CodeEncoding:      "图片编码失败",
	CodeUnsuitable:    "图片不适合制作证件照",
	CodeBadParam:      "参数错误",
	CodeBusy:          "服务繁忙，请稍候再试",
}

// Message returns the seed's text for code.
func Message(code int) string {
	if m, ok := messages[code]; ok {
		return m
	}
	return "其他错误"
}

// Error is a failure carrying one of the seed's codes. Detail is a short
// public explanation in Chinese (safe to return to the caller); Err is the
// internal cause, for logs only.
type Error struct {
	Code   int
	Param  string // for CodeBadParam: the parameter at fault
	Detail string
	Err    error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("idphoto: %d %s", e.Code, Message(e.Code))
	if e.Param != "" {
		s += " (" + e.Param + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Public returns the message for the envelope: the seed's text, then the
// parameter or detail.
func (e *Error) Public() string {
	s := Message(e.Code)
	if e.Param != "" {
		s += ": " + e.Param
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// ErrBusy is returned when the worker pool and its queue are full.
var ErrBusy = &Error{Code: CodeBusy, Detail: "队列已满"}

func errf(code int, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...), Err: cause}
}

func paramErr(param, format string, args ...any) *Error {
	return &Error{Code: CodeBadParam, Param: param, Detail: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code an error carries: 200 for nil, the Error's code,
// 201 for anything else (a failure with no better explanation).
func CodeOf(err error) int {
	if err == nil {
		return CodeOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeProcessing
}
