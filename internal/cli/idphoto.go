package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/zhengapi/zheng/internal/face"
	"github.com/zhengapi/zheng/internal/idphoto"
	"github.com/zhengapi/zheng/internal/imageio"
	"github.com/zhengapi/zheng/internal/matte"
)

func newIDPhotoCmd(env *Env) *Command {
	return &Command{
		Name:  "idphoto",
		Usage: "zheng idphoto COMMAND [flags]",
		Short: "Make ID photos and list the spec catalogue.",
		Long: "These commands run the same pipeline as POST /idphoto/make, without a server.\n" +
			"Models are read from --models (env ZHENG_MODELS, default ./models); fetch them\n" +
			"with scripts/fetch-models.sh.",
		Sub: []*Command{newIDPhotoMakeCmd(env), newIDPhotoSpecsCmd(env), newIDPhotoGalleryCmd(env)},
	}
}

// newMaker loads the vision models from dir and returns a Maker.
func newMaker(dir string, cfg idphoto.Config) (*idphoto.Maker, error) {
	for _, f := range []string{"blazeface.json", "facemesh.json", "rvm.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return nil, fmt.Errorf("models not found in %s (missing %s): run scripts/fetch-models.sh, or point --models / ZHENG_MODELS at them", dir, f)
		}
	}
	finder, err := face.NewFinder(dir)
	if err != nil {
		return nil, fmt.Errorf("loading face models from %s (scripts/fetch-models.sh fetches them): %w", dir, err)
	}
	m, err := matte.New(dir)
	if err != nil {
		return nil, fmt.Errorf("loading the matting model from %s (scripts/fetch-models.sh fetches it): %w", dir, err)
	}
	cfg.Finder, cfg.Matter = finder, m
	return idphoto.New(cfg)
}

// idphotoExit turns a pipeline error into the documented code and message
// and a non-zero exit.
func idphotoExit(err error) error {
	code := idphoto.CodeOf(err)
	msg := idphoto.Message(code)
	var e *idphoto.Error
	if errors.As(err, &e) {
		msg = e.Public()
	}
	return &ExitError{Code: 1, Msg: fmt.Sprintf("zheng: idphoto: code %d: %s", code, msg)}
}

func newIDPhotoMakeCmd(env *Env) *Command {
	fs := flag.NewFlagSet("make", flag.ContinueOnError)
	var (
		out, spec, bg, kb, layout, report, size, topEmpty, models string
		beauty, faceRatio, center                                 float64
		dpi, maxPixels                                            int
	)
	fs.StringVar(&out, "o", "", "output file (.jpg or .png); required")
	fs.StringVar(&spec, "spec", idphoto.DefaultSpec, "spec ID or exact name (see zheng idphoto specs), or 12 with --size")
	fs.StringVar(&bg, "bg", "", "background: a colour name, a gradient (blue_gradual, gray_gradual, red_gradual) or #RRGGBB; default the spec's first colour")
	fs.Float64Var(&beauty, "beauty", 0, "skin smoothing and tone, 1.0–5.0; 0 = none")
	fs.StringVar(&kb, "kb", "", `file size range in KB, "min,max"; default the spec's`)
	fs.IntVar(&dpi, "dpi", 0, "output DPI; mm specs change pixels with it; 0 = the spec's")
	fs.StringVar(&layout, "layout", "", "also write a print sheet OUT-layout.jpg: 6inch, 5inch or a4")
	fs.StringVar(&report, "report", "", "write the JSON report to this file")
	fs.StringVar(&size, "size", "", "custom size WxH in pixels (with --spec 12)")
	fs.Float64Var(&faceRatio, "face-ratio", 0, "the seed's face ratio (brow top to chin = 0.6 × this × photo height); 0 = the spec's (0.5 or 0.4)")
	fs.Float64Var(&center, "face-center", 0, "face centre height over photo height; 0 = 0.45")
	fs.StringVar(&topEmpty, "top-empty", "", `head-top gap range in px, "min,max"`)
	fs.StringVar(&models, "models", envDefault(env, "ZHENG_MODELS", "./models"), "models directory (env ZHENG_MODELS)")
	fs.IntVar(&maxPixels, "max-pixels", imageio.DefaultMaxPixels, "largest input in pixels")
	return &Command{
		Name:  "make",
		Usage: "zheng idphoto make IN -o OUT [--spec 一寸] [--bg blue] [--beauty 2] [--kb 20,45] [--dpi 350] [--layout 6inch] [--report FILE.json]",
		Short: "Make an ID photo from a portrait file.",
		Long: "On failure it prints the API's code and message (e.g. \"code 205: 图片中找不到人脸\")\n" +
			"and exits 1.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			args, err := interspersed(fs, args)
			if err != nil {
				return err
			}
			if len(args) != 1 || out == "" {
				return usagef("want one input file and -o OUT")
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			vals := map[string]string{"spec": spec, "bgColor": bg, "fileSize": kb, "layout": layout, "size": size, "topEmpty": topEmpty}
			if beauty != 0 {
				vals["beautyDegree"] = strconv.FormatFloat(beauty, 'f', -1, 64)
			}
			if dpi != 0 {
				vals["dpi"] = strconv.Itoa(dpi)
			}
			if faceRatio != 0 {
				vals["faceRatio"] = strconv.FormatFloat(faceRatio, 'f', -1, 64)
			}
			if center != 0 {
				vals["faceCenterRange"] = strconv.FormatFloat(center, 'f', -1, 64)
			}
			if strings.EqualFold(filepath.Ext(out), ".png") {
				vals["format"] = "png"
			}
			req, err := idphoto.ParseRequest(func(k string) string { return vals[k] })
			if err != nil {
				return idphotoExit(err)
			}
			if _, ok := idphoto.Specs().Lookup(spec); !ok && spec != idphoto.CustomSpecID {
				// Say so before spending a second on loading the models.
				return idphotoExit(&idphoto.Error{Code: idphoto.CodeUnknownSpec, Detail: spec})
			}
			req.Image = data
			maker, err := newMaker(models, idphoto.Config{Workers: 1, MaxPixels: maxPixels})
			if err != nil {
				return err
			}
			res, err := maker.Make(ctx, req)
			if err != nil {
				if report != "" {
					writeJSON(report, map[string]any{"code": idphoto.CodeOf(err), "error": err.Error()})
				}
				return idphotoExit(err)
			}
			if err := os.WriteFile(out, res.Photo, 0o644); err != nil {
				return err
			}
			if res.Layout != nil {
				lp := strings.TrimSuffix(out, filepath.Ext(out)) + "-layout.jpg"
				if err := os.WriteFile(lp, res.Layout, 0o644); err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "layout: %s\n", lp)
			}
			if report != "" {
				if err := writeJSON(report, res.Report); err != nil {
					return err
				}
			}
			r := res.Report
			fmt.Fprintf(env.Stdout, "%s: %s %s %dx%d px, %d dpi, %.1f KB; face ratio %.3f (brow-chin %.3f), centre %.3f, top gap %.0f px\n",
				out, res.Spec.ID, res.Spec.Name, res.Width, res.Height, res.DPI, r.FileKB, r.FaceRatio, r.BrowChinRatio, r.FaceCenter, r.TopGapPx)
			for _, w := range r.Warnings {
				fmt.Fprintf(env.Stdout, "warning: %s\n", w)
			}
			return nil
		},
	}
}

// interspersed finishes parsing flags that follow positional arguments
// ("make IN -o OUT"): the flag package stops at the first non-flag.
func interspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		if !strings.HasPrefix(args[0], "-") || args[0] == "-" {
			pos = append(pos, args[0])
			args = args[1:]
			continue
		}
		if err := fs.Parse(args); err != nil {
			return nil, usagef("%v", err)
		}
		args = fs.Args()
	}
	return pos, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func newIDPhotoSpecsCmd(env *Env) *Command {
	fs := flag.NewFlagSet("specs", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the catalogue as JSON (as GET /idphoto/specs returns it)")
	return &Command{
		Name:  "specs",
		Usage: "zheng idphoto specs [--json]",
		Short: "List the ID-photo spec catalogue.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("specs takes no arguments")
			}
			c := idphoto.Specs()
			if *asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"specs": c.Specs, "colors": idphoto.NamedColors(), "custom": idphoto.CustomSpecID, "layouts": idphoto.Layouts})
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSIZE\tPIXELS\tDPI\tKB\tCOLOURS")
			for _, s := range c.Specs {
				kb := ""
				if s.KBMin > 0 || s.KBMax > 0 {
					kb = fmt.Sprintf("%d-%d", s.KBMin, s.KBMax)
				}
				fmt.Fprintf(tw, "%s\t%s\t%dx%d %s\t%dx%d\t%d\t%s\t%s\n", s.ID, s.Name, s.Width, s.Height, s.Unit,
					s.PixelWidth, s.PixelHeight, s.DPI, kb, strings.Join(s.Colors, ","))
			}
			fmt.Fprintf(tw, "%s\t自定义尺寸 (size=WxH)\t\t\t%d\t\t%s\n", idphoto.CustomSpecID, idphoto.DefaultDPI, strings.Join(idphoto.ColorNames(), ","))
			return tw.Flush()
		},
	}
}

func newIDPhotoGalleryCmd(env *Env) *Command {
	fs := flag.NewFlagSet("gallery", flag.ContinueOnError)
	var out, spec, bg, models string
	var beauty float64
	fs.StringVar(&out, "o", "report.html", "HTML file to write")
	fs.StringVar(&spec, "spec", idphoto.DefaultSpec, "spec to make")
	fs.StringVar(&bg, "bg", "blue", "background")
	fs.Float64Var(&beauty, "beauty", 0, "beauty degree")
	fs.StringVar(&models, "models", envDefault(env, "ZHENG_MODELS", "./models"), "models directory (env ZHENG_MODELS)")
	return &Command{
		Name:  "gallery",
		Usage: "zheng idphoto gallery DIR [-o report.html] [--spec 一寸] [--bg blue]",
		Short: "Make an ID photo of every image in DIR and show input, output and report side by side.",
		Long:  "The HTML file is self-contained (images inline), for a person to judge the results.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			args, err := interspersed(fs, args)
			if err != nil {
				return err
			}
			if len(args) != 1 {
				return usagef("want one directory")
			}
			ents, err := os.ReadDir(args[0])
			if err != nil {
				return err
			}
			maker, err := newMaker(models, idphoto.Config{Workers: 1})
			if err != nil {
				return err
			}
			var rows []galleryRow
			names := make([]string, 0, len(ents))
			for _, e := range ents {
				if !e.IsDir() && !strings.HasSuffix(e.Name(), ".md") && !strings.HasPrefix(e.Name(), ".") {
					names = append(names, e.Name())
				}
			}
			sort.Strings(names)
			for _, name := range names {
				data, err := os.ReadFile(filepath.Join(args[0], name))
				if err != nil {
					return err
				}
				row := galleryRow{Name: name, Input: thumbnail(data)}
				vals := map[string]string{"spec": spec, "bgColor": bg}
				if beauty > 0 {
					vals["beautyDegree"] = strconv.FormatFloat(beauty, 'f', -1, 64)
				}
				req, err := idphoto.ParseRequest(func(k string) string { return vals[k] })
				if err != nil {
					return idphotoExit(err)
				}
				req.Image = data
				res, err := maker.Make(ctx, req)
				if err != nil {
					row.Code = idphoto.CodeOf(err)
					row.Error = err.Error()
				} else {
					row.Code = 200
					row.Output = template.URL("data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(res.Photo))
					b, _ := json.MarshalIndent(res.Report, "", "  ")
					row.Report = string(b)
				}
				fmt.Fprintf(env.Stdout, "%s: %d\n", name, row.Code)
				rows = append(rows, row)
			}
			var buf bytes.Buffer
			if err := galleryTmpl.Execute(&buf, map[string]any{"Spec": spec, "Bg": bg, "Rows": rows}); err != nil {
				return err
			}
			return os.WriteFile(out, buf.Bytes(), 0o644)
		},
	}
}

type galleryRow struct {
	Name          string
	Input, Output template.URL
	Code          int
	Error, Report string
}

// thumbnail returns the input downscaled to 400 px high as a data URL.
func thumbnail(data []byte) template.URL {
	img, _, err := imageio.Decode(data, nil)
	if err != nil {
		return ""
	}
	b := img.Bounds()
	h := min(400, b.Dy())
	w := max(1, b.Dx()*h/b.Dy())
	small := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			small.Set(x, y, img.At(b.Min.X+x*b.Dx()/w, b.Min.Y+y*b.Dy()/h))
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, small, &jpeg.Options{Quality: 85})
	return template.URL("data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
}

var galleryTmpl = template.Must(template.New("gallery").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>zheng ID photo gallery</title>
<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}td{border:1px solid #ccc;padding:8px;vertical-align:top}
img{max-height:400px}pre{font-size:11px;max-height:400px;overflow:auto;width:420px}.err{color:#b00}</style></head>
<body><h1>ID photo gallery: spec {{.Spec}}, background {{.Bg}}</h1>
<table><tr><th>input</th><th>output</th><th>report</th></tr>
{{range .Rows}}<tr><td>{{.Name}}<br>{{if .Input}}<img src="{{.Input}}">{{end}}</td>
<td>{{if .Output}}<img src="{{.Output}}" style="border:1px solid #888">{{else}}<span class="err">code {{.Code}}</span>{{end}}</td>
<td>{{if .Report}}<pre>{{.Report}}</pre>{{else}}<pre class="err">{{.Error}}</pre>{{end}}</td></tr>
{{end}}</table></body></html>
`))
