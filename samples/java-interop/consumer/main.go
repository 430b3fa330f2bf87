// Command consumer calls the Java provider of
// org.apache.dubbo.sample.UserService through a dubbo-go style proxy and
// prints what each method answers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/fleetrpc/fleet/config"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/dubbo"
	_ "github.com/fleetrpc/fleet/registry/zookeeper"
	"github.com/fleetrpc/fleet/samples/java-interop/userservice"
)

func main() {
	path := flag.String("config", "samples/java-interop/consumer/consumer.yml", "the YAML configuration")
	flag.Parse()
	if err := run(*path); err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	rt := config.NewRuntime(cfg)
	defer rt.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var users userservice.Client
	if _, err := rt.ReferProxy(ctx, &users); err != nil {
		return err
	}
	u, err := users.GetUser(ctx, 7)
	if err != nil {
		return err
	}
	fmt.Printf("getUser(7): id=%d name=%s age=%d created=%s balance=%s tags=%v attrs=%v status=%s\n",
		u.ID, u.Name, u.Age, u.Created.UTC().Format(time.RFC3339), u.Balance, u.Tags, u.Attrs, u.Status)

	list, err := users.ListUsers(ctx, 2)
	if err != nil {
		return err
	}
	fmt.Printf("listUsers(2): %d users, %s and %s\n", len(list), list[0].Name, list[1].Name)

	counts, err := users.Count(ctx, []string{"a", "b", "a"})
	if err != nil {
		return err
	}
	fmt.Printf("count([a b a]): a=%d b=%d\n", counts["a"], counts["b"])

	sum, err := users.Add(ctx, 2, 3)
	if err != nil {
		return err
	}
	fmt.Printf("add(2, 3): %d\n", sum)

	saved, err := users.Save(ctx, &userservice.User{
		ID: 41, Name: "alice", Age: 25, Created: time.UnixMilli(1700000000000),
		Balance: userservice.Decimal("99.99"), Tags: []string{"x"}, Attrs: map[string]string{"role": "admin"},
		Status: userservice.Suspended,
	})
	if err != nil {
		return err
	}
	fmt.Printf("save(alice 41): id=%d status=%s\n", saved.ID, saved.Status)

	_, err = users.GetUser(ctx, -1)
	var javaErr *dubbo.JavaException
	switch {
	case errors.As(err, &javaErr):
		fmt.Printf("getUser(-1): %s: %s (business error: %v)\n", javaErr.Class, javaErr.Message, protocol.IsBusiness(err))
	case err != nil:
		return err
	default:
		return errors.New("getUser(-1) should have thrown")
	}
	return nil
}
