// go_peer: a test-only stand-in for dtm's state handling, used by tests/test_go_compat.py.
//
// It reads a state document from stdin into map[string]State, where State has the same
// fields as dtm v0.6-v0.9's statemanager.State (no yaml tags, so yaml.v3 uses the lower-cased
// field names), or with -form v10 the tagged v0.10 field names. Then it either re-encodes the
// map the way dtm saves it (yaml.v3 Encoder, indent 2, empty map = 0 bytes) or, with -dump,
// prints the decoded data as JSON in which every value carries its Go type. With -bench N it times
// decoding and encoding (best of N) for bench/bench_state.py.
//
// Exit status: 0 ok, 2 decode error (message on stderr), 3 usage/encoding error.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// State mirrors dtm v0.6-v0.9 (field names only matter, yaml.v3 lower-cases them).
type State struct {
	Name       string
	InstanceID string
	DependsOn  []string
	Options    map[string]interface{}
	Resource   map[string]interface{}
}

// StateV10 mirrors dtm v0.10's tagged struct.
type StateV10 struct {
	Name           string                 `yaml:"name"`
	InstanceID     string                 `yaml:"instanceID"`
	DependsOn      []string               `yaml:"dependsOn"`
	Options        map[string]interface{} `yaml:"options"`
	ResourceStatus map[string]interface{} `yaml:"resourceStatus"`
}

// typed turns a decoded value into a JSON-safe tree that keeps the Go type of every value.
func typed(v interface{}) interface{} {
	switch x := v.(type) {
	case nil:
		return map[string]interface{}{"t": "nil"}
	case bool:
		return map[string]interface{}{"t": "bool", "v": x}
	case int:
		return map[string]interface{}{"t": "int", "v": strconv.Itoa(x)}
	case int64:
		return map[string]interface{}{"t": "int", "v": strconv.FormatInt(x, 10)}
	case uint64:
		return map[string]interface{}{"t": "uint64", "v": strconv.FormatUint(x, 10)}
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if math.IsNaN(x) {
			s = "NaN"
		}
		return map[string]interface{}{"t": "float64", "v": s}
	case string:
		return map[string]interface{}{"t": "string", "v": x}
	case time.Time:
		return map[string]interface{}{"t": "time", "v": x.Format(time.RFC3339Nano)}
	case []interface{}:
		out := make([]interface{}, 0, len(x))
		for _, e := range x {
			out = append(out, typed(e))
		}
		return map[string]interface{}{"t": "list", "v": out}
	case map[string]interface{}:
		return map[string]interface{}{"t": "smap", "v": typedStringMap(x)}
	case map[interface{}]interface{}:
		pairs := make([][2]interface{}, 0, len(x))
		for k, e := range x {
			pairs = append(pairs, [2]interface{}{typed(k), typed(e)})
		}
		sort.Slice(pairs, func(i, j int) bool {
			a, _ := json.Marshal(pairs[i][0])
			b, _ := json.Marshal(pairs[j][0])
			return string(a) < string(b)
		})
		return map[string]interface{}{"t": "imap", "v": pairs}
	default:
		return map[string]interface{}{"t": fmt.Sprintf("%T", v), "v": fmt.Sprintf("%v", v)}
	}
}

func typedStringMap(m map[string]interface{}) [][2]interface{} {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][2]interface{}, 0, len(m))
	for _, k := range keys {
		out = append(out, [2]interface{}{k, typed(m[k])})
	}
	return out
}

func entry(name, id string, deps []string, opts, res map[string]interface{}) map[string]interface{} {
	if deps == nil {
		deps = []string{}
	}
	return map[string]interface{}{
		"name": name, "instance_id": id, "depends_on": deps,
		"options": typedStringMap(opts), "resource": typedStringMap(res),
	}
}

func encode(v interface{}, empty bool) {
	if empty { // dtm's own rule: an empty state is 0 bytes
		return
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, "encode:", err)
		os.Exit(3)
	}
	os.Stdout.Write(buf.Bytes())
}

// bench times yaml.Unmarshal into map[string]State and the Encoder (indent 2) of the result, best of
// `repeats` runs each, as dtm reads and saves its state; prints {"decode_s": .., "encode_s": ..} as JSON.
func bench(data []byte, repeats int) {
	best := func(run func()) float64 {
		b := math.Inf(1)
		for i := 0; i < repeats; i++ {
			t0 := time.Now()
			run()
			if d := time.Since(t0).Seconds(); d < b {
				b = d
			}
		}
		return b
	}
	var states map[string]State
	decode := best(func() {
		states = map[string]State{}
		if err := yaml.Unmarshal(data, &states); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	})
	var out []byte
	encode := best(func() {
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(states); err != nil {
			fmt.Fprintln(os.Stderr, "encode:", err)
			os.Exit(3)
		}
		out = buf.Bytes()
	})
	js, _ := json.Marshal(map[string]interface{}{
		"decode_s": decode, "encode_s": encode, "identical": bytes.Equal(out, data), "entries": len(states)})
	os.Stdout.Write(append(js, '\n'))
}

func main() {
	dump := flag.Bool("dump", false, "print the decoded state as typed JSON instead of re-encoding it")
	form := flag.String("form", "v09", "struct form: v09 (dtm v0.6-v0.9) or v10")
	repeats := flag.Int("bench", 0, "time decode and encode of the (v09) state, best of this many runs")
	flag.Parse()
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "read:", err)
		os.Exit(3)
	}
	if *repeats > 0 {
		bench(data, *repeats)
		return
	}
	out := map[string]interface{}{}
	switch *form {
	case "v09":
		states := map[string]State{}
		if err := yaml.Unmarshal(data, &states); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if !*dump {
			encode(states, len(states) == 0)
			return
		}
		for k, s := range states {
			out[k] = entry(s.Name, s.InstanceID, s.DependsOn, s.Options, s.Resource)
		}
	case "v10":
		states := map[string]StateV10{}
		if err := yaml.Unmarshal(data, &states); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if !*dump {
			encode(states, len(states) == 0)
			return
		}
		for k, s := range states {
			out[k] = entry(s.Name, s.InstanceID, s.DependsOn, s.Options, s.ResourceStatus)
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown -form", *form)
		os.Exit(3)
	}
	js, err := json.Marshal(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "json:", err)
		os.Exit(3)
	}
	os.Stdout.Write(js)
	os.Stdout.Write([]byte("\n"))
}
