package tracefile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/topology"
)

// noTraces is the Traces of a batch the lean decoders read: empty, shared,
// and read-only, so a reader of Batch.Traces finds nothing rather than a
// zero value that panics.
var noTraces = func() ptrace.Traces {
	td := ptrace.NewTraces()
	td.MarkReadOnly()
	return td
}()

// decoder reads one file's records and emits a batch per record.
type decoder struct {
	file      string
	skipBad   bool
	skipped   int64
	ctx       context.Context
	maxRecord int
	// reference decodes with pdata alone (Reader.Reference).
	reference bool
	// scratch is the reading goroutine's, when it decodes.
	scratch scratch
	emit    func(topology.Batch) error
	// empty counts the empty records in a row.
	empty int
	// pipe decodes records in parallel when there is more than one
	// worker; nil decodes each as it is read.
	pipe *pipeline
}

// record decodes one record and emits it, or hands both to the pipeline.
// rec is one record waiting to be decoded: its bytes and where they were.
type rec struct {
	b      []byte
	proto  bool
	line   int   // JSON lines: the line number
	offset int64 // protobuf: the message's byte offset
}

// record decodes one record and emits it, or hands it to the pipeline.
func (d *decoder) record(r rec) error {
	if d.pipe != nil {
		return d.pipe.submit(r)
	}
	b, err := d.decodeRec(&r, &d.scratch)
	if err != nil {
		return d.failRec(&r, err)
	}
	return d.emit(b)
}

// decodeRec decodes a record, with the lean decoders when they read it.
func (d *decoder) decodeRec(r *rec, sc *scratch) (topology.Batch, error) {
	if r.proto {
		if !d.reference {
			if recs, ok := decodeLeanProto(r.b, sc); ok {
				return topology.Batch{Traces: noTraces, Records: recs}, nil
			}
		}
		td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(r.b)
		return topology.Batch{Traces: td}, err
	}
	if !d.reference {
		if recs, ok := decodeLeanJSON(r.b, sc); ok {
			return topology.Batch{Traces: noTraces, Records: recs}, nil
		}
	}
	td, err := DecodeJSON(r.b)
	return topology.Batch{Traces: td}, err
}

// failRec turns a record's decode error into the decoder's answer: nil
// when bad records are skipped. It is called in input order.
func (d *decoder) failRec(r *rec, err error) error {
	if !r.proto {
		return d.bad(r.line, 0, oneLine(err))
	}
	return d.bad(0, r.offset, oneLine(fmt.Errorf("invalid OTLP protobuf: %w", err)))
}

// next is called before each record: it stops on cancellation (a read that
// finds nothing to emit must still stop on Ctrl-C) and after maxEmptyRun
// empty records in a row.
func (d *decoder) next(isEmpty bool, line int, offset int64) error {
	if err := d.ctx.Err(); err != nil {
		return err
	}
	if !isEmpty {
		d.empty = 0
		return nil
	}
	if d.empty++; d.empty >= maxEmptyRun {
		return &InputError{File: d.file, Line: line, Offset: offset,
			Err: fmt.Errorf("%d empty records in a row: not trace data (a file of zeros, or of blank lines)", d.empty)}
	}
	return nil
}

func (d *decoder) decode(in io.Reader) error {
	br, err := maybeGunzip(bufio.NewReaderSize(in, readBuffer))
	if err != nil {
		return &InputError{File: d.file, Err: err}
	}
	head, err := br.Peek(512)
	if len(head) == 0 {
		if err == io.EOF {
			return nil // an empty file holds no spans, which is not an error
		}
		return d.readErr(0, 0, err)
	}
	if Workers > 1 {
		d.pipe = newPipeline(Workers, d)
	}
	if looksLikeJSON(head) {
		err = d.jsonStream(br)
	} else {
		err = d.protoStream(br)
	}
	if d.pipe != nil {
		// The first error in input order wins: a record the reader had
		// not reached cannot have failed before one it had.
		if perr := d.pipe.close(); perr != nil {
			return perr
		}
		if err == nil {
			// Cancelled while the last records were being folded.
			err = d.ctx.Err()
		}
	}
	return err
}

// looksLikeJSON tells a JSON object from protobuf. Both may start with
// 0x0a (newline, or field 1's tag), so it wants white space, then '{', then
// white space and a '"' or '}'.
func looksLikeJSON(head []byte) bool {
	rest := bytes.TrimLeft(head, " \t\r\n")
	if len(rest) == 0 || rest[0] != '{' {
		return false
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	return len(rest) == 0 || rest[0] == '"' || rest[0] == '}'
}

// bad reports a malformed record, or counts it when skipping.
func (d *decoder) bad(line int, offset int64, err error) error {
	if d.skipBad {
		d.skipped++
		return nil
	}
	return &InputError{File: d.file, Line: line, Offset: offset, Err: err}
}

// readErr explains a failure to read the stream itself: for gzip that is
// almost always a truncated file.
func (d *decoder) readErr(line int, offset int64, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("file ends in the middle of a record (truncated?)")
	} else {
		err = fmt.Errorf("read: %w", err)
	}
	return &InputError{File: d.file, Line: line, Offset: offset, Err: err}
}

// jsonStream reads JSON lines, or one JSON document spread over lines.
func (d *decoder) jsonStream(br *bufio.Reader) error {
	var ls lines
	line, err := ls.read(br, d.maxRecord)
	if err != nil && err != io.EOF {
		return d.readErr(1, 0, err)
	}
	if !json.Valid(bytes.TrimSpace(line)) {
		// Not a complete value on line 1: a pretty-printed document.
		return d.jsonDocument(line, io.MultiReader(bytes.NewReader(ls.unread()), br))
	}
	for n := 1; ; n++ {
		blank := len(bytes.TrimSpace(line)) == 0
		if err := d.next(blank && err != io.EOF, n, 0); err != nil {
			return err
		}
		if !blank {
			if err := d.jsonRecord(n, line); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		line, err = ls.read(br, d.maxRecord)
		if err != nil && err != io.EOF {
			return d.readErr(n+1, 0, err)
		}
	}
}

// lines hands out lines from large blocks instead of one allocation per
// line, reading into the block itself. The lean decoder's strings point
// into a line, so a block is never written again where a line was handed
// out; it is freed with the last batch that came from it.
type lines struct {
	block []byte
	start int // where the next line starts
	from  int // where the search for its end resumes
	eof   bool
}

// blockSize is a block's usual size: a few hundred lines. minRead is the
// least room a read is given, and readBuffer the bufio buffer under it:
// no larger, so that reads into a block go straight from the file instead
// of through the buffer and a copy.
const (
	blockSize  = 256 << 10
	minRead    = 64 << 10
	readBuffer = minRead
)

// read returns the next line with its newline; the last one may have
// none, and comes with io.EOF.
func (l *lines) read(r io.Reader, max int) ([]byte, error) {
	for {
		if i := bytes.IndexByte(l.block[l.from:], '\n'); i >= 0 {
			end := l.from + i + 1
			line := l.block[l.start:end:end]
			l.start, l.from = end, end
			if len(line) > max {
				return nil, tooLong(max)
			}
			return line, nil
		}
		l.from = len(l.block)
		if len(l.block)-l.start > max {
			return nil, tooLong(max)
		}
		if l.eof {
			if l.start == len(l.block) {
				return nil, io.EOF
			}
			line := l.block[l.start:len(l.block):len(l.block)]
			l.start = len(l.block)
			return line, io.EOF
		}
		if cap(l.block)-len(l.block) < minRead {
			part := l.block[l.start:]
			l.block = append(make([]byte, 0, blockSize+2*len(part)), part...)
			l.start, l.from = 0, len(part)
		}
		n, err := r.Read(l.block[len(l.block):cap(l.block)])
		l.block = l.block[:len(l.block)+n]
		if err == io.EOF {
			l.eof = true
		} else if err != nil {
			return nil, err
		}
	}
}

// unread is what was read past the last line handed out.
func (l *lines) unread() []byte { return l.block[l.start:] }

func tooLong(max int) error {
	return fmt.Errorf("%w: a line is longer than %s (see --max-record-size)", ErrRecordTooLarge, mib(max))
}

func (d *decoder) jsonRecord(line int, b []byte) error {
	return d.record(rec{b: b, line: line})
}

// jsonDocument reads the rest of the stream as one JSON value that started
// with head.
func (d *decoder) jsonDocument(head []byte, br io.Reader) error {
	rest, err := io.ReadAll(io.LimitReader(br, int64(d.maxRecord)))
	if err != nil {
		return d.readErr(0, int64(len(head)), err)
	}
	doc := append(head, rest...)
	if len(doc) >= d.maxRecord {
		return &InputError{File: d.file, Err: fmt.Errorf("%w: the JSON document is larger than %s; split it into JSON lines or raise --max-record-size", ErrRecordTooLarge, mib(d.maxRecord))}
	}
	var syn *json.SyntaxError
	if err := json.Unmarshal(doc, new(json.RawMessage)); errors.As(err, &syn) {
		return d.bad(lineAt(doc, syn.Offset), 0, fmt.Errorf("invalid JSON: %v", syn))
	} else if err != nil {
		return d.bad(0, 0, fmt.Errorf("invalid JSON: %w", err))
	}
	return d.jsonRecord(1, doc)
}

func lineAt(b []byte, offset int64) int {
	if offset > int64(len(b)) {
		offset = int64(len(b))
	}
	return bytes.Count(b[:offset], []byte{'\n'}) + 1
}

// protoStream reads OTLP protobuf: one bare ExportTraceServiceRequest, whose
// first byte is field 1's tag (0x0a), or the file exporter's messages each
// prefixed with a 4-byte big-endian length (first byte 0 for any message
// under 16 MiB).
func (d *decoder) protoStream(br *bufio.Reader) error {
	head, _ := br.Peek(4)
	if len(head) > 0 && head[0] == 0x0a {
		msg, err := io.ReadAll(io.LimitReader(br, int64(d.maxRecord)))
		if err != nil {
			return d.readErr(0, 0, err)
		}
		return d.protoRecord(0, msg)
	}
	var offset int64
	for {
		var size [4]byte
		if _, err := io.ReadFull(br, size[:]); err == io.EOF {
			return nil
		} else if err != nil {
			return d.readErr(0, offset, err)
		}
		n := binary.BigEndian.Uint32(size[:])
		if int64(n) > int64(d.maxRecord) {
			if offset == 0 {
				return &InputError{File: d.file, Err: fmt.Errorf("not OTLP JSON or protobuf (starts with %s)", quoteStart(size[:]))}
			}
			return &InputError{File: d.file, Offset: offset, Err: fmt.Errorf("%w: a message of %d bytes (over %s): file corrupt, or raise --max-record-size", ErrRecordTooLarge, n, mib(d.maxRecord))}
		}
		if err := d.next(n == 0, 0, offset); err != nil {
			return err
		}
		msg := make([]byte, n)
		if _, err := io.ReadFull(br, msg); err != nil {
			return d.readErr(0, offset, err)
		}
		if err := d.protoRecord(offset, msg); err != nil {
			return err
		}
		offset += 4 + int64(n)
	}
}

// ErrRecordTooLarge says a record is over the reader's MaxRecord.
var ErrRecordTooLarge = errors.New("record too large")

func mib(n int) string { return fmt.Sprintf("%d MiB", n>>20) }

func quoteStart(b []byte) string {
	if utf8.Valid(b) {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("% x", b)
}

func (d *decoder) protoRecord(offset int64, msg []byte) error {
	return d.record(rec{b: msg, proto: true, offset: offset})
}

// oneLine keeps a decoder's error to one readable line: the JSON library
// appends multi-line context with the raw bytes, which is noise in a
// terminal and unsafe to echo from untrusted input.
func oneLine(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, ", error found in"); i > 0 {
		msg = msg[:i]
	}
	msg = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(msg, "?"))
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return errors.New(msg)
}
