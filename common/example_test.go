package common_test

import (
	"fmt"

	"github.com/fleetrpc/fleet/common"
)

func ExampleParse() {
	u, err := common.Parse("dubbo://admin:hello1234@10.20.130.230:20880/context/path?version=1.0.0&application=morgan")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.Protocol(), u.Username(), u.Address(), u.Path())
	fmt.Println(u.String())
	fmt.Println(u.IdentityString())

	_, err = common.Parse("dubbo:192.168.1.1")
	fmt.Println(err)
	// Output:
	// dubbo admin 10.20.130.230:20880 context/path
	// dubbo://10.20.130.230:20880/context/path?application=morgan&version=1.0.0
	// dubbo://admin:hello1234@10.20.130.230:20880/context/path
	// parse url "dubbo:192.168.1.1": invalid port "192.168.1.1"
}

func ExampleParseEncoded() {
	// A provider node name as Java Dubbo writes it to ZooKeeper.
	name := "dubbo%3A%2F%2F127.0.0.1%3A20880%2Forg.apache.dubbo.demo.DemoService%3Fanyhost%3Dtrue%26interface%3Dorg.apache.dubbo.demo.DemoService%26methods%3DsayHello%2CsayHelloAsync%26side%3Dprovider"
	u, err := common.ParseEncoded(name)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.ServiceKey())
	fmt.Println(u.ParamList(common.MethodsKey))
	fmt.Println(u.Encoded() == name)
	// Output:
	// org.apache.dubbo.demo.DemoService
	// [sayHello sayHelloAsync]
	// true
}

func ExampleURL_MethodParam() {
	u := common.MustParse("dubbo://10.0.0.1:20880/org.a.Svc?timeout=1000&sayHello.timeout=3000")
	hello, _ := u.MethodParamDuration("sayHello", common.TimeoutKey, common.DefaultTimeout)
	bye, _ := u.MethodParamDuration("sayBye", common.TimeoutKey, common.DefaultTimeout)
	fmt.Println(hello, bye)
	// Output:
	// 3s 1s
}

func ExampleURL_Equal() {
	a := common.MustParse("dubbo://10.0.0.1:20880/org.a.Svc?timestamp=1700000000000&weight=100")
	b := common.MustParse("dubbo://10.0.0.1:20880/org.a.Svc?weight=100&timestamp=1700000099999")
	fmt.Println(a.Equal(b), a.Hash() == b.Hash())
	fmt.Println(a.Equal(b.WithParam(common.WeightKey, "200")))
	// Output:
	// true true
	// false
}

func ExampleURL_WithParam() {
	u := common.MustParse("dubbo://10.0.0.1:20880/org.a.Svc?weight=100")
	v := u.WithParam(common.WeightKey, "200").WithoutParams("absent")
	fmt.Println(u)
	fmt.Println(v)
	// Output:
	// dubbo://10.0.0.1:20880/org.a.Svc?weight=100
	// dubbo://10.0.0.1:20880/org.a.Svc?weight=200
}

func ExampleConsumerURLFromRegistry() {
	registry := common.MustParse("zookeeper://10.20.30.40/Svc?a=b&refer=foo%3Dbar%26interface%3DSvc%26register.ip%3D10.20.30.40")
	consumer, err := common.ConsumerURLFromRegistry(registry)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(consumer)
	// Output:
	// dubbo://10.20.30.40/Svc?foo=bar&interface=Svc&register.ip=10.20.30.40
}

func ExampleIsMatch() {
	consumer := common.MustParse("consumer://10.0.0.2/org.a.Svc?category=providers,configurators,routers&group=g1")
	provider := common.MustParse("dubbo://10.0.0.1:20880/org.a.Svc?group=g1")
	other := common.MustParse("dubbo://10.0.0.1:20880/org.a.Svc?group=g1&version=1.0.0")
	fmt.Println(common.IsMatch(consumer, provider), common.IsMatch(consumer, other))
	// Output:
	// true false
}

func ExampleEmptyURL() {
	fmt.Println(common.EmptyURL("g/a.b.Foo:1.0.0", common.ProvidersCategory))
	// Output:
	// empty://0.0.0.0/a.b.Foo?category=providers&group=g&version=1.0.0
}

func ExampleParseAddress() {
	u, err := common.ParseAddress("10.0.0.1:2181,10.0.0.2", map[string]string{common.ProtocolKey: "zookeeper"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u)
	fmt.Println(u.BackupAddress(2181))
	// Output:
	// zookeeper://10.0.0.1:2181?backup=10.0.0.2
	// 10.0.0.1:2181,10.0.0.2:2181
}
