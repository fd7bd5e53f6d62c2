// Command envoy-load sends ext_proc message sequences to a server at a fixed rate, open loop, as
// Envoy's ext_proc filter does: one bidirectional Process stream per HTTP request on one HTTP/2
// connection, each message sent once the answer to the one before has arrived. It measures the
// latency of each request from its first message to its last answer.
//
// The benchmark's Node driver measures throughput, where the server's CPU time per request is what
// counts; latency percentiles need a driver whose own pauses do not show up in them, which a
// second Node process with its own garbage collector cannot promise. The messages arrive already
// serialized, so this program never needs Envoy's message types: it reads a protobuf field number
// only to see an immediate_response, which ends a request early, as in Envoy.
//
// Input (-messages): the serialized ProcessingRequest messages, each a 4-byte big-endian length
// and the bytes. Output (-out): a JSON summary on stdout, and the answers of every measured
// request in the same framing, each request's answers preceded by their count.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protowire"
)

const processMethod = "/envoy.service.ext_proc.v3.ExternalProcessor/Process"

// ProcessingResponse.immediate_response.
const immediateResponseField = 7

// rawCodec passes the pre-serialized messages through, and hands back the answers' bytes.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

type result struct {
	answers []byte
	count   int
	sent    time.Time
	latency time.Duration
	late    time.Duration
	err     string
}

type summary struct {
	LatenciesMs []float64 `json:"latenciesMs"`
	LateMs      []float64 `json:"lateMs"`
	Errors      []string  `json:"errors"`
}

func main() {
	address := flag.String("address", "", "the server, as unix:/path or host:port")
	messagesPath := flag.String("messages", "", "the serialized messages of one request")
	rate := flag.Float64("rate", 500, "requests per second")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "requests started in this first period are not measured")
	measure := flag.Duration("measure", 3*time.Second, "the measured period")
	outPath := flag.String("out", "", "where the measured requests' answers are written")
	flag.Parse()
	if err := run(*address, *messagesPath, *rate, *warmup, *measure, *outPath); err != nil {
		fmt.Fprintln(os.Stderr, "envoy-load:", err)
		os.Exit(1)
	}
}

func run(address, messagesPath string, rate float64, warmup, measure time.Duration, outPath string) error {
	if address == "" || messagesPath == "" || outPath == "" || rate <= 0 {
		return errors.New("-address, -messages, -out and a positive -rate are required")
	}
	messages, err := readFramed(messagesPath)
	if err != nil {
		return err
	}
	if len(messages) == 0 {
		return errors.New(messagesPath + " holds no message")
	}
	conn, err := grpc.NewClient(address,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(64<<20)),
	)
	if err != nil {
		return err
	}
	defer conn.Close()
	// One request first, unmeasured, so the connection is up before the schedule starts.
	if first := runOne(conn, messages); first.err != "" {
		return errors.New("the first request failed: " + first.err)
	}

	interval := time.Duration(float64(time.Second) / rate)
	total := int((warmup + measure) / interval)
	skipped := int(warmup / interval)
	results := make([]result, total)
	var wg sync.WaitGroup
	start := time.Now().Add(5 * time.Millisecond)
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		waitUntil(due)
		wg.Add(1)
		go func(i int, due time.Time) {
			defer wg.Done()
			r := runOne(conn, messages)
			r.late = r.sent.Sub(due)
			results[i] = r
		}(i, due)
	}
	wg.Wait()
	return write(results[skipped:], outPath)
}

// waitUntil sleeps until `due`. It never spins: the requests' goroutines need the same core.
func waitUntil(due time.Time) {
	if d := time.Until(due); d > 0 {
		time.Sleep(d)
	}
}

func runOne(conn *grpc.ClientConn, messages [][]byte) result {
	r := result{sent: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, processMethod)
	if err != nil {
		r.err = err.Error()
		return r
	}
	for _, message := range messages {
		m := message
		if err := stream.SendMsg(&m); err != nil {
			r.err = "send: " + err.Error()
			break
		}
		var answer []byte
		if err := stream.RecvMsg(&answer); err != nil {
			if err == io.EOF {
				r.err = fmt.Sprintf("the stream ended after %d answers", r.count)
			} else {
				r.err = "gRPC error: " + err.Error()
			}
			break
		}
		r.answers = binary.BigEndian.AppendUint32(r.answers, uint32(len(answer)))
		r.answers = append(r.answers, answer...)
		r.count++
		if hasField(answer, immediateResponseField) {
			break
		}
	}
	r.latency = time.Since(r.sent)
	// As Envoy does: half-close, then read to the server's status, so the stream ends cleanly
	// rather than by the cancellation below.
	_ = stream.CloseSend()
	for r.err == "" {
		var extra []byte
		if err := stream.RecvMsg(&extra); err != nil {
			if err != io.EOF {
				r.err = "gRPC error after the last answer: " + err.Error()
			}
			break
		}
		r.err = "an answer after the last message"
	}
	return r
}

// hasField reports whether a serialized message has a top-level field with this number.
func hasField(message []byte, number protowire.Number) bool {
	for len(message) > 0 {
		n, kind, tagLength := protowire.ConsumeTag(message)
		if tagLength < 0 {
			return false
		}
		if n == number {
			return true
		}
		valueLength := protowire.ConsumeFieldValue(n, kind, message[tagLength:])
		if valueLength < 0 {
			return false
		}
		message = message[tagLength+valueLength:]
	}
	return false
}

func readFramed(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var messages [][]byte
	for len(data) > 0 {
		if len(data) < 4 || int(binary.BigEndian.Uint32(data)) > len(data)-4 {
			return nil, errors.New(path + ": a frame is cut short")
		}
		length := binary.BigEndian.Uint32(data)
		messages = append(messages, data[4:4+length])
		data = data[4+length:]
	}
	return messages, nil
}

func write(results []result, outPath string) error {
	out, err := os.Create(outPath)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	s := summary{LatenciesMs: []float64{}, LateMs: []float64{}, Errors: []string{}}
	for _, r := range results {
		s.LatenciesMs = append(s.LatenciesMs, float64(r.latency)/float64(time.Millisecond))
		s.LateMs = append(s.LateMs, float64(r.late)/float64(time.Millisecond))
		s.Errors = append(s.Errors, r.err)
		w.Write(binary.BigEndian.AppendUint32(nil, uint32(r.count)))
		w.Write(r.answers)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(s)
}
