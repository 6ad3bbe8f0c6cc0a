#pragma once
// A WSDL that quotes.wsdl does not cover: unqualified local elements, a named type
// used before its declaration, a repeated complex element, no soapAction.

namespace causeway::soap::testing {

inline constexpr const char* kOrdersWsdl = R"(<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
             xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:orders" targetNamespace="urn:orders">
  <types>
    <xs:schema targetNamespace="urn:orders">
      <xs:element name="PlaceOrder" type="tns:Order"/>
      <xs:element name="PlaceOrderResponse">
        <xs:complexType><xs:sequence>
          <xs:element name="id" type="xs:long"/>
          <xs:element name="accepted" type="xs:boolean"/>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:complexType name="Order">
        <xs:sequence>
          <xs:element name="customer" type="xs:string"/>
          <xs:element name="line" type="tns:OrderLine" maxOccurs="unbounded"/>
        </xs:sequence>
        <xs:attribute name="priority" type="xs:int"/>
      </xs:complexType>
      <xs:complexType name="OrderLine">
        <xs:sequence>
          <xs:element name="sku" type="xs:string"/>
          <xs:element name="quantity" type="xs:int"/>
        </xs:sequence>
      </xs:complexType>
    </xs:schema>
  </types>
  <message name="PlaceOrderIn"><part name="body" element="tns:PlaceOrder"/></message>
  <message name="PlaceOrderOut"><part name="body" element="tns:PlaceOrderResponse"/></message>
  <portType name="Orders">
    <operation name="PlaceOrder"><input message="tns:PlaceOrderIn"/><output message="tns:PlaceOrderOut"/></operation>
  </portType>
  <binding name="OrdersSoap" type="tns:Orders">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="PlaceOrder">
      <soap:operation soapAction=""/>
      <input><soap:body use="literal"/></input>
      <output><soap:body use="literal"/></output>
    </operation>
  </binding>
  <service name="OrderService">
    <port name="OrdersPort" binding="tns:OrdersSoap"><soap:address location="http://orders.internal/soap"/></port>
  </service>
</definitions>
)";

}  // namespace causeway::soap::testing
