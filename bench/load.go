package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The latency histogram is log-linear, like HdrHistogram: values below
// 2^histSubBits nanoseconds are exact, and every power of two above is split
// into 2^histSubBits equal buckets, so a reported quantile is within 0.8 % of
// the true value, whatever its magnitude, with a fixed 60 KB per histogram
// and no allocation per sample.
const (
	histSubBits = 7
	histBuckets = (65 - histSubBits) << histSubBits
)

// histogram counts latencies in nanoseconds.
type histogram struct {
	counts   [histBuckets]uint64
	n        uint64
	min, max uint64
	sum      float64
}

// histIndex returns the bucket of v.
func histIndex(v uint64) int {
	if v < 1<<histSubBits {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1
	m := v >> shift // in [2^histSubBits, 2^(histSubBits+1))
	return (shift+1)<<histSubBits + int(m-1<<histSubBits)
}

// histBounds returns the smallest and largest values of bucket i.
func histBounds(i int) (lo, hi uint64) {
	if i < 1<<histSubBits {
		return uint64(i), uint64(i)
	}
	shift := i>>histSubBits - 1
	m := uint64(i&(1<<histSubBits-1)) + 1<<histSubBits
	return m << shift, (m+1)<<shift - 1
}

// record adds one latency.
func (h *histogram) record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[histIndex(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += float64(v)
}

// merge adds o's counts to h.
func (h *histogram) merge(o *histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// quantile returns the latency below which a fraction q of the samples lie
// (the middle of the bucket holding that rank, clamped to the exact extremes).
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := histBounds(i)
			v := lo + (hi-lo)/2
			return time.Duration(min(max(v, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

// mean returns the average latency.
func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// op performs one operation of a scenario (usually one HTTP request and the
// check of its answer) and returns an error when it failed.
type op func() error

// workerFactory returns the operation worker i runs in a loop and a function
// that releases what it holds (its connection).
type workerFactory func(i int) (op, func(), error)

// measurement is what a closed-loop run measured.
type measurement struct {
	Concurrency int
	Duration    time.Duration // the measured window, after the warm-up
	Requests    uint64        // operations that succeeded within the window
	Errors      uint64        // operations that failed within the window
	FirstError  string        // the first failure, warm-up included
	Hist        *histogram    // latencies of the successful operations (Go generator only)
	Lat         latencies     // summary of the latencies
	// GenCPU is CPU time the load generator spent outside this process
	// during the window (wrk's), which counts as the harness's.
	GenCPU time.Duration
}

// latencies summarise a cell's latency distribution.
type latencies struct {
	Mean, P50, P90, P99, Max time.Duration
}

// rate returns the successful operations per second.
func (m *measurement) rate() float64 {
	if m.Duration <= 0 {
		return 0
	}
	return float64(m.Requests) / m.Duration.Seconds()
}

// Bounds of every closed loop, besides its duration.
const (
	maxOpsPerWorker = 50_000_000           // no worker runs more operations than this in one cell
	errorPause      = 5 * time.Millisecond // a failed operation waits this long, so that a refusing server is not spun against
)

// runClosedLoop runs conc workers, each performing its operation again as
// soon as the previous one finished (a closed loop: the offered load is the
// concurrency), for warmup and then for dur. Operations that complete
// within the window are counted, including those that began in the
// warm-up: throughput is completions per second of the window, and
// operations longer than the window (argon2id at high concurrency) are not
// undercounted. Workers start no operation after the window closes.
//
// window, when not nil, is called as the measured window opens (with true)
// and once the workers have stopped (with false).
func runClosedLoop(ctx context.Context, conc int, warmup, dur time.Duration, mk workerFactory, window func(open bool)) (*measurement, error) {
	ops := make([]op, conc)
	releases := make([]func(), 0, conc)
	defer func() {
		for _, r := range releases {
			r()
		}
	}()
	for i := range conc {
		o, release, err := mk(i)
		if err != nil {
			return nil, err
		}
		ops[i] = o
		if release != nil {
			releases = append(releases, release)
		}
	}
	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(dur)

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		total    = &histogram{}
		requests atomic.Uint64
		errs     atomic.Uint64
		first    atomic.Pointer[string]
	)
	opened := make(chan struct{})
	if window != nil {
		go func() {
			defer close(opened)
			select {
			case <-time.After(time.Until(measureFrom)):
				window(true)
			case <-ctx.Done():
			}
		}()
	} else {
		close(opened)
	}
	for i := range conc {
		wg.Add(1)
		go func(o op) {
			defer wg.Done()
			h := &histogram{}
			for n := 0; n < maxOpsPerWorker && ctx.Err() == nil; n++ {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				err := o()
				t1 := time.Now()
				counted := !t1.Before(measureFrom) && !t1.After(end)
				if err != nil {
					msg := err.Error()
					first.CompareAndSwap(nil, &msg)
					if counted {
						errs.Add(1)
					}
					time.Sleep(errorPause)
					continue
				}
				if counted {
					h.record(t1.Sub(t0))
				}
			}
			requests.Add(h.n)
			mu.Lock()
			total.merge(h)
			mu.Unlock()
		}(ops[i])
	}
	wg.Wait()
	<-opened
	if window != nil {
		window(false)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := &measurement{Concurrency: conc, Duration: dur, Requests: requests.Load(), Errors: errs.Load(), Hist: total,
		Lat: latencies{Mean: total.mean(), P50: total.quantile(0.50), P90: total.quantile(0.90), P99: total.quantile(0.99), Max: time.Duration(total.max)}}
	if p := first.Load(); p != nil {
		m.FirstError = *p
	}
	return m, nil
}

// Limits of the HTTP client.
const (
	dialTimeout    = 5 * time.Second
	requestTimeout = 30 * time.Second // a login at concurrency 64 takes about a second
	maxHeaderLine  = 16 << 10
	maxBody        = 1 << 20
)

// httpConn is a minimal HTTP/1.1 client on one keep-alive connection. The
// load generator shares the CPU with the servers it measures, so it sends
// pre-built requests and parses only what it needs (status, length,
// chunking, Connection: close) instead of going through net/http's client,
// which costs several times more per request.
type httpConn struct {
	addr string
	c    net.Conn
	br   *bufio.Reader
	// Body holds the last response's body when roundTrip was asked to keep it.
	Body []byte
}

// newHTTPConn returns a client for the server at addr (host:port); it
// connects on first use.
func newHTTPConn(addr string) *httpConn { return &httpConn{addr: addr} }

// Close closes the connection.
func (h *httpConn) Close() {
	if h.c != nil {
		h.c.Close()
		h.c, h.br = nil, nil
	}
}

// roundTrip sends req (a complete HTTP/1.1 request) and reads the response,
// keeping its body in h.Body when keepBody is true. It returns the status.
// After any error the connection is closed; the next call reconnects.
func (h *httpConn) roundTrip(req []byte, keepBody bool) (int, error) {
	if h.c == nil {
		c, err := net.DialTimeout("tcp", h.addr, dialTimeout)
		if err != nil {
			return 0, err
		}
		h.c, h.br = c, bufio.NewReaderSize(c, 16<<10)
	}
	if err := h.c.SetDeadline(time.Now().Add(requestTimeout)); err != nil {
		h.Close()
		return 0, err
	}
	if _, err := h.c.Write(req); err != nil {
		h.Close()
		return 0, err
	}
	status, keep, err := readResponse(h.br, keepBody, &h.Body)
	if err != nil || !keep {
		h.Close()
	}
	return status, err
}

var errMalformed = errors.New("malformed HTTP response")

// readResponse reads one response from br. It reports the status and
// whether the connection may carry another request. With keepBody the body
// is stored in *body (reusing its array); otherwise it is discarded.
func readResponse(br *bufio.Reader, keepBody bool, body *[]byte) (status int, keepAlive bool, err error) {
	line, err := readLine(br)
	if err != nil {
		return 0, false, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, false, fmt.Errorf("%w: status line %q", errMalformed, truncateBytes(line, 64))
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, fmt.Errorf("%w: status line %q", errMalformed, truncateBytes(line, 64))
	}
	keepAlive = line[7] == '1' // HTTP/1.0 closes unless told otherwise
	length, chunked := int64(-1), false
	for n := 0; ; n++ {
		if n > 200 {
			return 0, false, fmt.Errorf("%w: too many header lines", errMalformed)
		}
		line, err = readLine(br)
		if err != nil {
			return 0, false, err
		}
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return 0, false, fmt.Errorf("%w: header line %q", errMalformed, truncateBytes(line, 64))
		}
		name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			length, err = strconv.ParseInt(string(value), 10, 64)
			if err != nil || length < 0 {
				return 0, false, fmt.Errorf("%w: Content-Length %q", errMalformed, value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keepAlive = false
			} else if bytes.EqualFold(value, []byte("keep-alive")) {
				keepAlive = true
			}
		}
	}
	if keepBody {
		*body = (*body)[:0]
	}
	switch {
	case status/100 == 1 || status == 204 || status == 304:
		return status, keepAlive, nil
	case chunked:
		return status, keepAlive, readChunked(br, keepBody, body)
	case length >= 0:
		return status, keepAlive, readBody(br, length, keepBody, body)
	default:
		// No length: the body runs to the end of the connection.
		return status, false, readToEOF(br, keepBody, body)
	}
}

// readToEOF reads a body that ends with the connection (at most maxBody).
func readToEOF(br *bufio.Reader, keep bool, body *[]byte) error {
	var sink []byte
	if keep {
		sink = *body
	}
	var n int64
	var buf [4096]byte
	for n <= maxBody {
		k, err := br.Read(buf[:])
		n += int64(k)
		if keep {
			sink = append(sink, buf[:k]...)
		}
		if errors.Is(err, io.EOF) {
			if keep {
				*body = sink
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: body over %d bytes", errMalformed, maxBody)
}

// readLine returns one line without its CRLF; it is valid until the next read.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%w: line longer than %d bytes", errMalformed, maxHeaderLine)
	}
	if err != nil {
		if errors.Is(err, io.EOF) && len(line) == 0 {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// readBody reads n bytes of body.
func readBody(br *bufio.Reader, n int64, keep bool, body *[]byte) error {
	if n > maxBody {
		return fmt.Errorf("%w: body of %d bytes", errMalformed, n)
	}
	if !keep {
		_, err := br.Discard(int(n))
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	start := len(*body)
	*body = append(*body, make([]byte, n)...)
	_, err := io.ReadFull(br, (*body)[start:])
	return err
}

// readChunked reads a chunked body and its trailer.
func readChunked(br *bufio.Reader, keep bool, body *[]byte) error {
	var total int64
	for n := 0; n < 100_000; n++ {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("%w: chunk size %q", errMalformed, truncateBytes(line, 32))
		}
		if size == 0 {
			for t := 0; ; t++ {
				line, err := readLine(br)
				if err != nil {
					return err
				}
				if len(line) == 0 {
					return nil
				}
				if t > 100 {
					return fmt.Errorf("%w: trailer too long", errMalformed)
				}
			}
		}
		if total += size; total > maxBody {
			return fmt.Errorf("%w: body over %d bytes", errMalformed, maxBody)
		}
		if err := readBody(br, size, keep, body); err != nil {
			return err
		}
		if line, err := readLine(br); err != nil || len(line) != 0 {
			return fmt.Errorf("%w: chunk not followed by CRLF", errMalformed)
		}
	}
	return fmt.Errorf("%w: too many chunks", errMalformed)
}

func truncateBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// getRequest builds a GET request for path on host with extra header lines
// ("Name: value").
func getRequest(host, path string, headers ...string) []byte {
	var b bytes.Buffer
	b.WriteString("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: latch-bench\r\nAccept: application/json\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// postHead is a POST request with a JSON body up to its Content-Length
// value, which the caller appends (then CRLF, any further header lines, a
// blank line and the body).
func postHead(host, path string) []byte {
	return []byte("POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: latch-bench\r\nAccept: application/json\r\nContent-Type: application/json\r\nContent-Length: ")
}

// postJSON builds a POST request with a JSON body.
func postJSON(host, path string, body []byte, headers ...string) []byte {
	var b bytes.Buffer
	b.Grow(256 + len(body))
	b.Write(postHead(host, path))
	b.WriteString(strconv.Itoa(len(body)))
	b.WriteString("\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// statusError is an answer with an unexpected status.
type statusError struct {
	got, want int
	body      []byte
}

func (e *statusError) Error() string {
	if len(e.body) > 0 {
		return fmt.Sprintf("status %d, want %d: %s", e.got, e.want, truncateBytes(e.body, 200))
	}
	return fmt.Sprintf("status %d, want %d", e.got, e.want)
}

// expect sends req on c and checks that the answer has status want. The
// body is read into c.Body (a reused buffer) to be quoted on a mismatch.
func expect(c *httpConn, req []byte, want int) error {
	status, err := c.roundTrip(req, true)
	if err != nil {
		return err
	}
	if status != want {
		return &statusError{got: status, want: want, body: append([]byte(nil), c.Body...)}
	}
	return nil
}
