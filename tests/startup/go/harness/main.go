// Command harness loads OpenIM config files exactly as the released binaries do, with
// upstream's own code: the config struct types and load functions of open-im-server
// v3.8.3-patch.16 and chat v1.8.4-patch.5 (pruned to what loading needs, see ../prune),
// upstream's env-prefix maps and flag names. What it cannot run (network clients) it
// reports for the caller to check.
//
//	harness commands -dir CMD_DIR [-names PKG_DIR]   which files each command loads (JSON)
//	harness load < request.json                      one process's start-up (JSON)
//
// load runs with the environment of the process it stands for. The process's filesystem is
// laid out under request.root: absolute paths the process uses (its -c directory,
// $CONFIG_PATH) are looked up under that root, relative ones from root+cwd.
package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	chatconfig "github.com/openimsdk/chat/pkg/common/config"
	servercmd "github.com/openimsdk/open-im-server/v3/pkg/common/cmd"
	serverconfig "github.com/openimsdk/open-im-server/v3/pkg/common/config"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: harness commands|load")
	}
	var err error
	switch os.Args[1] {
	case "commands":
		err = commands(os.Args[2:])
	case "load":
		err = load()
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "harness:", msg)
	os.Exit(2)
}

// ---------------------------------------------------------------- commands

// stringDefinitions: name -> string literal of every package-level var/const and every
// `Name = "literal"` assignment (upstream sets the file names in init()).
func stringDefinitions(dir string) (map[string]string, []*ast.File, error) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, nil, 0)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]string{}
	var files []*ast.File
	lit := func(e ast.Expr) (string, bool) {
		if b, ok := e.(*ast.BasicLit); ok && b.Kind == token.STRING {
			s, err := strconv.Unquote(b.Value)
			return s, err == nil
		}
		return "", false
	}
	for _, pkg := range pkgs {
		for _, file := range pkg.Files {
			files = append(files, file)
			ast.Inspect(file, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.ValueSpec:
					for i, name := range x.Names {
						if i < len(x.Values) {
							if s, ok := lit(x.Values[i]); ok {
								out[name.Name] = s
							}
						}
					}
				case *ast.AssignStmt:
					for i, lhs := range x.Lhs {
						if id, ok := lhs.(*ast.Ident); ok && i < len(x.Rhs) {
							if s, ok := lit(x.Rhs[i]); ok {
								out[id.Name] = s
							}
						}
					}
				}
				return true
			})
		}
	}
	return out, files, nil
}

// commands prints, for every New*Cmd constructor of the cmd package, the files its
// configMap loads, and the files root.go loads for every command.
func commands(args []string) error {
	fs := pflag.NewFlagSet("commands", pflag.ContinueOnError)
	dir := fs.String("dir", "", "upstream pkg/common/cmd")
	names := fs.String("names", "", "package the cmd files qualify file names from (chat: pkg/common/config)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	local, files, err := stringDefinitions(*dir)
	if err != nil {
		return err
	}
	qualified := map[string]string{}
	if *names != "" {
		if qualified, _, err = stringDefinitions(*names); err != nil {
			return err
		}
	}
	resolve := func(e ast.Expr) (string, error) {
		switch x := e.(type) {
		case *ast.Ident:
			if s, ok := local[x.Name]; ok {
				return s, nil
			}
			return "", fmt.Errorf("file name %s is not defined in %s", x.Name, *dir)
		case *ast.SelectorExpr:
			if s, ok := qualified[x.Sel.Name]; ok {
				return s, nil
			}
			return "", fmt.Errorf("file name %s is not defined in %s", x.Sel.Name, *names)
		}
		return "", fmt.Errorf("unexpected file name expression %T", e)
	}
	result := map[string][]string{}
	always := map[string][]string{}
	for _, file := range files {
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			name := fn.Name.Name
			if strings.HasPrefix(name, "New") && strings.HasSuffix(name, "Cmd") && name != "NewRootCmd" {
				var err error
				ast.Inspect(fn, func(n ast.Node) bool {
					assign, ok := n.(*ast.AssignStmt)
					if !ok || len(assign.Lhs) != 1 {
						return true
					}
					sel, ok := assign.Lhs[0].(*ast.SelectorExpr)
					if !ok || sel.Sel.Name != "configMap" {
						return true
					}
					lit, ok := assign.Rhs[0].(*ast.CompositeLit)
					if !ok {
						return true
					}
					for _, elt := range lit.Elts {
						kv := elt.(*ast.KeyValueExpr)
						file, e := resolve(kv.Key)
						if e != nil {
							err = e
							return false
						}
						result[name] = append(result[name], file)
					}
					return false
				})
				if err != nil {
					return err
				}
			}
			// root.go: the files every command loads besides its configMap.
			if name == "initializeConfiguration" || name == "initEtcd" {
				ast.Inspect(fn, func(n ast.Node) bool {
					call, ok := n.(*ast.CallExpr)
					if !ok {
						return true
					}
					for _, arg := range call.Args {
						if file, e := resolve(arg); e == nil && strings.HasSuffix(file, ".yml") {
							always[name] = append(always[name], file)
						}
					}
					return true
				})
			}
		}
	}
	for k := range result {
		sort.Strings(result[k])
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"commands": result, "root": always})
}

// ---------------------------------------------------------------- load

type request struct {
	Product string   `json:"product"`
	Files   []string `json:"files"`
	Root    string   `json:"root"`
	Cwd     string   `json:"cwd"`
	Args    []string `json:"args"`
	SAPath  string   `json:"saPath"`
}

type response struct {
	Error           string              `json:"error"`
	ConfigDirectory string              `json:"configDirectory"`
	Index           int                 `json:"index"`
	Runtime         string              `json:"runtime"`
	Loaded          []string            `json:"loaded"`
	Files           map[string]any      `json:"files"`
	EnvNames        map[string][]string `json:"envNames"`
	Needs           map[string][]string `json:"needs"`
}

func load() error {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		return err
	}
	resp := response{Files: map[string]any{}, EnvNames: map[string][]string{}, Needs: map[string][]string{}}
	if err := start(&req, &resp); err != nil {
		resp.Error = err.Error()
	}
	return json.NewEncoder(os.Stdout).Encode(resp)
}

// rooted: where a path the process opens lies in the laid-out filesystem.
func rooted(root, path string) string {
	if filepath.IsAbs(path) {
		return filepath.Join(root, path)
	}
	return path
}

func start(req *request, resp *response) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	// root.go NewRootCmd: the two flags every binary has, by upstream's names.
	flagConf, flagIndex := servercmd.FlagConf, servercmd.FlagTransferIndex
	if req.Product == "chat" {
		flagConf, flagIndex = chatconfig.FlagConf, chatconfig.FlagTransferIndex
	}
	fs := pflag.NewFlagSet("openim", pflag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	conf := fs.StringP(flagConf, "c", "", "path of config directory")
	index := fs.IntP(flagIndex, "i", 0, "process startup sequence number")
	if err := fs.Parse(req.Args); err != nil {
		return fmt.Errorf("command line: %w", err)
	}
	resp.ConfigDirectory, resp.Index = *conf, *index
	if err := os.Chdir(filepath.Join(req.Root, req.Cwd)); err != nil {
		return fmt.Errorf("working directory %s: %w", req.Cwd, err)
	}
	dir := rooted(req.Root, *conf)
	if req.Product == "chat" {
		return startChat(req, resp, dir)
	}
	// root.go initializeConfiguration: every file of the command's configMap, then log.yml.
	for _, file := range req.Files {
		target, err := serverStruct(file)
		if err != nil {
			return err
		}
		prefix := servercmd.ConfigEnvPrefixMap[file]
		if err := serverconfig.LoadConfig(filepath.Join(dir, file), prefix, target); err != nil {
			return err
		}
		record(resp, file, filepath.Join(dir, file), prefix, target)
	}
	return nil
}

// startChat follows chat's root.go persistentPreRun: initEtcd (discovery.yml; an etcd client
// when enable is etcd), every file, then etcdClient.Close() (which panics on a nil client).
func startChat(req *request, resp *response, dir string) error {
	runtime := "source" // utils/runtimeenv: kubernetes iff the service-account directory exists
	if _, err := os.Stat(filepath.Join(req.Root, req.SAPath)); err == nil {
		runtime = "kubernetes"
	}
	resp.Runtime = runtime
	if mount := os.Getenv("CONFIG_PATH"); runtime == "kubernetes" && filepath.IsAbs(mount) {
		os.Setenv("CONFIG_PATH", filepath.Join(req.Root, mount))
	}
	loadOne := func(file string) (any, error) {
		var all chatconfig.AllConfig
		value := all.Name2Config(file)
		if value == nil {
			return nil, fmt.Errorf("no upstream struct type for %s", file)
		}
		target := reflect.New(reflect.TypeOf(value)).Interface()
		prefix := chatconfig.EnvPrefixMap[file]
		if err := chatconfig.Load(dir, file, prefix, runtime, target); err != nil {
			return nil, err
		}
		path := filepath.Join(dir, file)
		if runtime == "kubernetes" {
			path = filepath.Join(os.Getenv("CONFIG_PATH"), file)
		}
		record(resp, file, path, prefix, target)
		return target, nil
	}
	disc, err := loadOne(chatconfig.DiscoveryConfigFileName)
	if err != nil {
		return err
	}
	discovery := disc.(*chatconfig.Discovery)
	if discovery.Enable == "etcd" {
		if runtime == "kubernetes" {
			// kdisc.NewDiscoveryRegister returns the Kubernetes registry whenever the runtime is
			// Kubernetes; initEtcd asserts it is the etcd one.
			panic("interface conversion: discovery is *kubernetes.ConnManager, not *etcd.SvcDiscoveryRegistryImpl (root.go initEtcd)")
		}
		resp.Needs["etcd"] = discovery.Etcd.Address
	}
	for _, file := range req.Files {
		if _, err := loadOne(file); err != nil {
			return err
		}
	}
	if discovery.Enable != "etcd" {
		panic("runtime error: invalid memory address or nil pointer dereference (root.go persistentPreRun: r.etcdClient.Close() with no etcd client)")
	}
	return nil
}

// serverStruct: a new value of the upstream type that reads file (its GetConfigFileName).
func serverStruct(file string) (any, error) {
	for _, make := range []func() interface{ GetConfigFileName() string }{
		func() interface{ GetConfigFileName() string } { return &serverconfig.Share{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.Discovery{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.Mongo{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.Redis{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.Kafka{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.Minio{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.Log{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.LocalCache{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.Notification{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.Webhooks{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.API{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.CronTask{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.MsgGateway{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.MsgTransfer{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.Push{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.Auth{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.Conversation{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.Friend{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.Group{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.Msg{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.Third{} },
		func() interface{ GetConfigFileName() string } { return &serverconfig.User{} },
	} {
		// Compared without the extension: Notification's method names "notification.yaml"
		// (config/parse.go) while the commands load "notification.yml" into that type.
		if v := make(); stem(v.GetConfigFileName()) == stem(file) {
			return v, nil
		}
	}
	return nil, fmt.Errorf("no upstream struct type for %s", file)
}

func stem(file string) string {
	return strings.TrimSuffix(strings.TrimSuffix(file, ".yml"), ".yaml")
}

// record: the decoded values, and the environment variables viper consults for the file's
// keys (AutomaticEnv only overrides keys present in the file; prefix + "_" + key, upper-cased,
// "." -> "_"; a file without a prefix uses the bare key).
func record(resp *response, file, path, prefix string, target any) {
	resp.Loaded = append(resp.Loaded, file)
	resp.Files[file] = plain(reflect.ValueOf(target))
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return
	}
	replacer := strings.NewReplacer(".", "_")
	var names []string
	for _, key := range v.AllKeys() {
		name := key
		if prefix != "" {
			name = prefix + "_" + key
		}
		names = append(names, replacer.Replace(strings.ToUpper(name)))
	}
	sort.Strings(names)
	resp.EnvNames[file] = names
}

// plain: a decoded struct as JSON-able data keyed by the mapstructure tags (the file's keys).
func plain(v reflect.Value) any {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
			if name == "" {
				name = f.Name
			}
			out[name] = plain(v.Field(i))
		}
		return out
	case reflect.Slice, reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = plain(v.Index(i))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[fmt.Sprint(k.Interface())] = plain(v.MapIndex(k))
		}
		return out
	default:
		if d, ok := v.Interface().(interface{ String() string }); ok && v.Kind() == reflect.Int64 {
			return d.String() // time.Duration
		}
		return v.Interface()
	}
}
