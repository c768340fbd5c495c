package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

// ist is India Standard Time, the zone of the `from`/`to` calendar dates
// in filters. India has no daylight saving, so a fixed zone is exact and
// needs no time zone database.
var ist = time.FixedZone("IST", 5*3600+1800)

// queryParser reads query parameters and collects a field error for each
// bad value, so that one 422 answer lists them all.
type queryParser struct {
	c      *gin.Context
	fields []publisher.FieldError
}

func newQuery(c *gin.Context) *queryParser { return &queryParser{c: c} }

func (q *queryParser) bad(name, code, msg string, params ...string) {
	f := publisher.FieldError{Field: name, Code: code, Message: msg}
	if len(params) > 0 {
		f.Params = map[string]string{}
		for i := 0; i+1 < len(params); i += 2 {
			f.Params[params[i]] = params[i+1]
		}
	}
	q.fields = append(q.fields, f)
}

// str returns a parameter's value, trimmed.
func (q *queryParser) str(name string) string { return strings.TrimSpace(q.c.Query(name)) }

// id returns an id parameter ("" if absent).
func (q *queryParser) id(name string) string {
	v := q.str(name)
	if v != "" && !publisher.ValidID(v) {
		q.bad(name, "invalid_id", "This is not an id.")
		return ""
	}
	return v
}

// intIn returns an integer parameter between lo and hi, def if absent.
func (q *queryParser) intIn(name string, def, lo, hi int) int {
	v := q.str(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		q.bad(name, "out_of_range", "Give a whole number from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi)+".",
			"min", strconv.Itoa(lo), "max", strconv.Itoa(hi))
		return def
	}
	return n
}

// list returns a comma-separated (or repeated) parameter's values.
func (q *queryParser) list(name string) []string {
	var out []string
	for _, v := range q.c.QueryArray(name) {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// date reads a YYYY-MM-DD calendar date in IST and returns the UTC instant
// its day starts, or — for an inclusive end date — the instant the next day
// starts (an exclusive bound). Absent: the zero time.
func (q *queryParser) date(name string, inclusiveEnd bool) time.Time {
	v := q.str(name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation(time.DateOnly, v, ist)
	if err != nil {
		q.bad(name, "invalid_date", "Give a date as YYYY-MM-DD.", "format", "YYYY-MM-DD")
		return time.Time{}
	}
	if inclusiveEnd {
		t = t.AddDate(0, 0, 1)
	}
	return t.UTC()
}

// err returns an EINVALID error listing the bad parameters, or nil.
func (q *queryParser) err() error {
	if len(q.fields) == 0 {
		return nil
	}
	return &publisher.Error{Code: publisher.EINVALID, Message: "The filter needs correcting.", Fields: q.fields}
}
