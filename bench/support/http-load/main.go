// Command http-load puts an HTTP load on a gateway for bench/run: closed-loop saturation (requests
// per second with a fixed number of connections, each sending its next request when the last one's
// answer has been read to the end), or an open loop at a fixed rate (each request sent on its
// schedule, whether or not the earlier ones have answered), reporting each request's latency to
// the last byte of its answer.
//
// It is native so that the latency percentiles are the servers', not the pauses of a load
// generator with its own garbage collector. One POST, described by flags, is sent over and over;
// every answer must be 200. A JSON summary goes to stdout.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type headerFlags map[string]string

func (h headerFlags) String() string { return fmt.Sprint(map[string]string(h)) }
func (h headerFlags) Set(value string) error {
	name, field, found := strings.Cut(value, ":")
	if !found {
		return errors.New("a header is NAME:VALUE")
	}
	h[name] = strings.TrimSpace(field)
	return nil
}

type summary struct {
	Requests    int       `json:"requests"`
	Errors      int       `json:"errors"`
	FirstError  string    `json:"firstError,omitempty"`
	Seconds     float64   `json:"seconds"`
	LatenciesMs []float64 `json:"latenciesMs,omitempty"`
}

type load struct {
	client  *http.Client
	url     string
	headers headerFlags
	body    []byte
	errors  atomic.Int64
	first   atomic.Value
}

func main() {
	headers := headerFlags{}
	url := flag.String("url", "", "where to POST")
	bodyFile := flag.String("body", "", "a file holding the request body")
	flag.Var(headers, "header", "NAME:VALUE, repeatable")
	mode := flag.String("mode", "rate", "saturate or rate")
	connections := flag.Int("connections", 10, "saturate: requests in flight")
	rate := flag.Float64("rate", 200, "rate: requests per second")
	duration := flag.Duration("duration", 5*time.Second, "how long to send")
	warmup := flag.Duration("warmup", 0, "rate: how long to send at the rate first, not counted")
	flag.Parse()
	if err := run(*url, *bodyFile, headers, *mode, *connections, *rate, *duration, *warmup); err != nil {
		fmt.Fprintln(os.Stderr, "http-load:", err)
		os.Exit(1)
	}
}

func run(url, bodyFile string, headers headerFlags, mode string, connections int, rate float64, duration, warmup time.Duration) error {
	if url == "" || bodyFile == "" {
		return errors.New("-url and -body are required")
	}
	body, err := os.ReadFile(bodyFile)
	if err != nil {
		return err
	}
	pool := connections
	if mode == "rate" {
		pool = 64
	}
	l := &load{
		client: &http.Client{Transport: &http.Transport{
			MaxIdleConns:        pool,
			MaxIdleConnsPerHost: pool,
			MaxConnsPerHost:     pool,
			DisableCompression:  true,
		}},
		url:     url,
		headers: headers,
		body:    body,
	}
	var s summary
	switch mode {
	case "saturate":
		s = l.saturate(connections, duration)
	case "rate":
		// The open loop opens the connections it needs as it goes; those first requests, which
		// wait for a connection (and a gateway's own to its upstream), are not counted.
		if warmup > 0 {
			l.openLoop(rate, warmup)
			l.errors.Store(0)
			l.first = atomic.Value{}
		}
		s = l.openLoop(rate, duration)
	default:
		return errors.New("-mode is saturate or rate")
	}
	s.Errors = int(l.errors.Load())
	if first, ok := l.first.Load().(string); ok {
		s.FirstError = first
	}
	return json.NewEncoder(os.Stdout).Encode(s)
}

// once sends the request and reads its answer to the last byte: a stream is served only then.
func (l *load) once() bool {
	request, err := http.NewRequest(http.MethodPost, l.url, bytes.NewReader(l.body))
	if err == nil {
		for name, value := range l.headers {
			request.Header.Set(name, value)
		}
		var response *http.Response
		if response, err = l.client.Do(request); err == nil {
			_, err = io.Copy(io.Discard, response.Body)
			response.Body.Close()
			if err == nil && response.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d", response.StatusCode)
			}
		}
	}
	if err != nil {
		l.errors.Add(1)
		l.first.CompareAndSwap(nil, err.Error())
		return false
	}
	return true
}

func (l *load) saturate(connections int, duration time.Duration) summary {
	var done atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(duration)
	for i := 0; i < connections; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if l.once() {
					done.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return summary{Requests: int(done.Load()), Seconds: time.Since(start).Seconds()}
}

func (l *load) openLoop(rate float64, duration time.Duration) summary {
	interval := time.Duration(float64(time.Second) / rate)
	total := int(duration / interval)
	latencies := make([]float64, total)
	ok := make([]bool, total)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < total; i++ {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sent := time.Now()
			ok[i] = l.once()
			latencies[i] = float64(time.Since(sent)) / float64(time.Millisecond)
		}(i)
	}
	wg.Wait()
	s := summary{Requests: total, Seconds: time.Since(start).Seconds(), LatenciesMs: []float64{}}
	for i, latency := range latencies {
		if ok[i] {
			s.LatenciesMs = append(s.LatenciesMs, latency)
		}
	}
	return s
}
