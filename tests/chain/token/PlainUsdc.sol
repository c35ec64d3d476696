// SPDX-License-Identifier: AGPL-3.0-only
pragma solidity ^0.8.20;

/// A USDC look-alike WITHOUT EIP-3009, for the gas top-up payout path: a
/// plain ERC-20 (6 decimals, the standard `Transfer` event) with an open
/// `mint`. It has no `version()` and no `authorizationState`, so a gateway
/// asking whether it takes transfers with authorization gets a revert, as
/// from most tokens on Polygon.
///
/// Never deploy this anywhere that matters: minting is open to everyone.
contract PlainUsdc {
    string public constant name = "Plain USD Coin";
    string public constant symbol = "PUSDC";
    uint8 public constant decimals = 6;

    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            require(allowed >= value, "PlainUsdc: allowance too low");
            allowance[from][msg.sender] = allowed - value;
        }
        _move(from, to, value);
        return true;
    }

    /// Creates `value` base units for `to`. Open to anyone: a test token.
    function mint(address to, uint256 value) external {
        require(to != address(0), "PlainUsdc: mint to the zero address");
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }

    function _move(address from, address to, uint256 value) private {
        require(to != address(0), "PlainUsdc: transfer to the zero address");
        uint256 held = balanceOf[from];
        require(held >= value, "PlainUsdc: balance too low");
        unchecked {
            balanceOf[from] = held - value;
        }
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}
