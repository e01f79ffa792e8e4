// Command funcsize lists the functions of non-test Go files that are longer
// than -lines lines or have more than -branches branches (if, for, case,
// select case, && and ||), the limits docs/architecture.md sets. Functions
// whose doc comment says "long on purpose" are listed separately. It exits
// 1 when any function is over a limit without saying so.
//
//	go run ./scripts/funcsize [-lines 80] [-branches 25] [DIR...]
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type fn struct {
	pos             string
	name            string
	lines, branches int
	onPurpose       bool
}

func main() {
	maxLines := flag.Int("lines", 80, "longest function allowed, in lines")
	maxBranches := flag.Int("branches", 25, "most branches allowed")
	flag.Parse()
	dirs := flag.Args()
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	var over []fn
	fset := token.NewFileSet()
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case e.IsDir() && path != d && (e.Name() == "testdata" || strings.HasPrefix(e.Name(), ".")):
				return filepath.SkipDir
			case e.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go"):
				return nil
			}
			fns, err := measure(fset, path)
			for _, x := range fns {
				if x.lines > *maxLines || x.branches > *maxBranches {
					over = append(over, x)
				}
			}
			return err
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "funcsize:", err)
			os.Exit(2)
		}
	}
	sort.Slice(over, func(i, j int) bool { return over[i].lines > over[j].lines })
	bad := 0
	for _, x := range over {
		note := ""
		if x.onPurpose {
			note = "  (long on purpose)"
		} else {
			bad++
		}
		fmt.Printf("%-40s %4d lines %3d branches  %s%s\n", x.name, x.lines, x.branches, x.pos, note)
	}
	if bad > 0 {
		fmt.Fprintf(os.Stderr, "funcsize: %d functions over %d lines or %d branches\n", bad, *maxLines, *maxBranches)
		os.Exit(1)
	}
}

// measure returns the size of every function declared in a file.
func measure(fset *token.FileSet, path string) ([]fn, error) {
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var out []fn
	for _, decl := range f.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		start, end := fset.Position(fd.Pos()), fset.Position(fd.End())
		x := fn{pos: fmt.Sprintf("%s:%d", path, start.Line), name: fd.Name.Name, lines: end.Line - start.Line + 1}
		if fd.Recv != nil && len(fd.Recv.List) > 0 {
			x.name = recv(fd.Recv.List[0].Type) + "." + x.name
		}
		x.onPurpose = fd.Doc != nil && strings.Contains(fd.Doc.Text(), "long on purpose")
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt, *ast.CaseClause, *ast.CommClause:
				x.branches++
			case *ast.BinaryExpr:
				if n.Op == token.LAND || n.Op == token.LOR {
					x.branches++
				}
			}
			return true
		})
		out = append(out, x)
	}
	return out, nil
}

func recv(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recv(t.X)
	case *ast.IndexExpr:
		return recv(t.X)
	case *ast.Ident:
		return t.Name
	}
	return "?"
}
