// Command prune copies one Go package directory of upstream OpenIM, keeping every
// declaration that compiles with what the start-up suite has (the standard library, viper,
// mapstructure and the shims under ../shims) and dropping the rest: functions that call into
// packages we do not have (the Build methods that turn config into driver options) and
// //go:embed variables whose files are not shipped. Type declarations are never dropped: a
// type that needs a missing package is an error, because the struct types are what the
// start-up suite must load exactly as upstream does.
//
//	prune -in DIR -out DIR [-keep importpath,...]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func main() {
	in := flag.String("in", "", "upstream package directory")
	out := flag.String("out", "", "output directory")
	keep := flag.String("keep", "", "comma-separated non-standard import paths that are available")
	flag.Parse()
	available := map[string]bool{}
	for _, p := range strings.Split(*keep, ",") {
		if p != "" {
			available[p] = true
		}
	}
	if err := run(*in, *out, available); err != nil {
		fmt.Fprintln(os.Stderr, "prune:", err)
		os.Exit(1)
	}
}

func run(in, out string, available map[string]bool) error {
	entries, err := os.ReadDir(in)
	if err != nil {
		return err
	}
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, filepath.Join(in, name), nil, parser.ParseComments)
		if err != nil {
			return err
		}
		files[name] = file
	}
	if err := prunePackage(files, available); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for name, file := range files {
		var buf bytes.Buffer
		if err := format.Node(&buf, fset, file); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, name), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func isStandard(path string) bool {
	first := strings.SplitN(path, "/", 2)[0]
	return !strings.Contains(first, ".")
}

// importName: the name an import is referred to by (its alias, else the last path element,
// which is the package name for every import this suite keeps).
func importName(spec *ast.ImportSpec) (string, string) {
	path, _ := strconv.Unquote(spec.Path.Value)
	if spec.Name != nil {
		return spec.Name.Name, path
	}
	return filepath.Base(path), path
}

// references: the selector bases (package names) and the bare identifiers a node uses.
func references(node ast.Node) (map[string]bool, map[string]bool) {
	bases, idents := map[string]bool{}, map[string]bool{}
	ast.Inspect(node, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok && id.Obj == nil {
				bases[id.Name] = true
			}
		case *ast.Ident:
			idents[x.Name] = true
		}
		return true
	})
	return bases, idents
}

// hasEmbed: a //go:embed directive (CommentGroup.Text leaves directives out).
func hasEmbed(doc *ast.CommentGroup) bool {
	if doc == nil {
		return false
	}
	for _, c := range doc.List {
		if strings.HasPrefix(c.Text, "//go:embed") {
			return true
		}
	}
	return false
}

// declName: the name a function declaration defines at package level ("" for methods).
func declName(d *ast.FuncDecl) string {
	if d.Recv != nil {
		return ""
	}
	return d.Name.Name
}

func prunePackage(files map[string]*ast.File, available map[string]bool) error {
	// Per file: the package names it may use (its available imports).
	usable := map[*ast.File]map[string]bool{}
	for _, file := range files {
		names := map[string]bool{}
		for _, spec := range file.Imports {
			alias, path := importName(spec)
			if isStandard(path) || available[path] {
				names[alias] = true
			}
		}
		usable[file] = names
	}
	dropped := map[string]bool{}
	keeps := func(file *ast.File, n ast.Node) bool {
		bases, idents := references(n)
		for base := range bases {
			if !usable[file][base] {
				return false
			}
		}
		for id := range idents {
			if dropped[id] {
				return false
			}
		}
		return true
	}
	for changed := true; changed; {
		changed = false
		for _, file := range files {
			var decls []ast.Decl
			for _, decl := range file.Decls {
				switch d := decl.(type) {
				case *ast.FuncDecl:
					if !keeps(file, d) {
						if name := declName(d); name != "" {
							dropped[name] = true
						}
						changed = true
						continue
					}
				case *ast.GenDecl:
					if d.Tok == token.IMPORT {
						break
					}
					var specs []ast.Spec
					for _, spec := range d.Specs {
						if vs, ok := spec.(*ast.ValueSpec); ok && hasEmbed(vs.Doc) {
							changed = true
							continue
						}
						if !keeps(file, spec) {
							if ts, ok := spec.(*ast.TypeSpec); ok {
								return fmt.Errorf("type %s needs a package the suite does not have", ts.Name.Name)
							}
							for _, n := range spec.(*ast.ValueSpec).Names {
								dropped[n.Name] = true
							}
							changed = true
							continue
						}
						specs = append(specs, spec)
					}
					if len(specs) == 0 {
						continue
					}
					d.Specs = specs
				}
				decls = append(decls, decl)
			}
			file.Decls = decls
		}
	}
	for _, file := range files {
		dropUnusedImports(file)
	}
	return nil
}

func dropUnusedImports(file *ast.File) {
	file.Comments = nil // orphaned by the removals; the copy is compiled, never read
	var body []ast.Decl
	for _, decl := range file.Decls {
		if g, ok := decl.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			continue
		}
		if f, ok := decl.(*ast.FuncDecl); ok {
			f.Doc = nil
		}
		body = append(body, decl)
	}
	bases, _ := references(&ast.File{Name: file.Name, Decls: body})
	var imports []ast.Spec
	for _, spec := range file.Imports {
		alias, path := importName(spec)
		if path != "embed" && bases[alias] {
			imports = append(imports, spec)
		}
	}
	sort.SliceStable(imports, func(i, j int) bool {
		return imports[i].(*ast.ImportSpec).Path.Value < imports[j].(*ast.ImportSpec).Path.Value
	})
	if len(imports) > 0 {
		body = append([]ast.Decl{&ast.GenDecl{Tok: token.IMPORT, Lparen: 1, Specs: imports}}, body...)
	}
	file.Decls = body
	file.Imports = nil
}
